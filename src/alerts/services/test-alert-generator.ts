import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ConflictError } from '../../common/http/domain-error';
import { AlertSeverity, AlertStatus } from '../entities/alert-levels';
import { AlertsWriter, type NewAlert } from './alerts-writer';
import { randomFractions, targetPicksSql } from './target-picks-sql';
import { TEST_ALERT_MESSAGES } from './test-alert-messages';

export interface GeneratedAlerts {
  count: number;
  /** How many of them were critical (and put their host and item in error). */
  critical: number;
}

interface Target {
  hostId: number;
  itemId: number | null;
}

/**
 * How long `assertHostsExist` trusts that there were hosts. Only "there are hosts" is kept, never "there are none",
 * so hosts created anywhere count at once; hosts all deleted (by any process) are seen within this time. The
 * worker's picks (`generate`) always read the range afresh.
 */
const HOSTS_EXIST_TTL_MS = 1000;

export const NO_HOSTS_MESSAGE = 'There are no hosts to attach test alerts to: create hosts or pull them from a monitor';

/**
 * The guide's mock alert generator, shared by POST /alerts/generate-test and the generate_alerts task. A run costs a
 * constant number of statements whatever the size of the inventory: one to pick every target, and a single
 * multi-row INSERT. When some alerts are critical, the INSERT runs in one transaction with one UPDATE each for the
 * hosts and items they hit, which the inventory makes (AlertsWriter, InventoryWriter.markCritical). It stays cheap
 * when workers run thousands of these tasks.
 */
@Injectable()
export class TestAlertGenerator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: AlertsWriter,
  ) {}

  /** Until when (performance.now()) a host was last seen to exist. */
  private hostsSeenUntil = 0;
  /** The check in flight, shared by the requests that arrive meanwhile. */
  private hostsCheck: Promise<void> | undefined;

  /**
   * Throws ConflictError when there is no host at all. A host seen less than HOSTS_EXIST_TTL_MS ago answers
   * without a query: the API calls this on every generate-test-async request.
   */
  assertHostsExist(): Promise<void> {
    if (performance.now() < this.hostsSeenUntil) return Promise.resolve();
    this.hostsCheck ??= this.assertAnyHost().then(
      () => {
        this.hostsCheck = undefined;
        this.hostsSeenUntil = performance.now() + HOSTS_EXIST_TTL_MS;
      },
      (error: unknown) => {
        this.hostsCheck = undefined;
        throw error;
      },
    );
    return this.hostsCheck;
  }

  async generate(count: number): Promise<GeneratedAlerts> {
    const targets = await this.pickTargets(count);
    const now = new Date();
    const alerts = targets.map((target, index): NewAlert => ({
      message: TEST_ALERT_MESSAGES[randomInt(TEST_ALERT_MESSAGES.length)],
      severity: randomInt(AlertSeverity.Critical + 1) as AlertSeverity,
      status: AlertStatus.Active,
      hostId: target.hostId,
      itemId: target.itemId,
      comment: `Auto-generated test alert #${index + 1} at ${now.toISOString()}`,
      createdAt: now,
      updatedAt: now,
    }));
    const critical = alerts.filter((alert) => alert.severity === AlertSeverity.Critical);
    await this.writer.insertGenerated(alerts, critical);
    return { count: alerts.length, critical: critical.length };
  }

  private async assertAnyHost(): Promise<void> {
    // Plain SQL: the query builder cost more CPU than the query. MIN alone is read off the primary key.
    const [row] = (await this.dataSource.query('SELECT MIN(id) AS lo FROM hosts')) as Array<{ lo: unknown }>;
    if (row?.lo === null || row?.lo === undefined) throw new ConflictError(NO_HOSTS_MESSAGE);
  }

  /** `count` random targets in one query (targetPicksSql). */
  private async pickTargets(count: number): Promise<Target[]> {
    const fractions = randomFractions(count);
    const sql = targetPicksSql(count, this.dataSource.options.type === 'postgres');
    const rows = (await this.dataSource.query(sql, fractions)) as Array<{
      host_id: number | string | null;
      item_id: number | string | null;
    }>;
    const targets = rows.flatMap((row) =>
      row.host_id === null
        ? []
        : [{ hostId: Number(row.host_id), itemId: row.item_id === null ? null : Number(row.item_id) }],
    );
    // No host at all: every pick comes back without one.
    if (targets.length < count) throw new ConflictError(NO_HOSTS_MESSAGE);
    return targets;
  }
}
