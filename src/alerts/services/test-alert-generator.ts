import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ConflictError } from '../../common/http/domain-error';
import { Transactions } from '../../database/transactions';
import { Host } from '../../monitors/entities/host.entity';
import { Item } from '../../monitors/entities/item.entity';
import { SyncStatus } from '../../monitors/entities/sync-status';
import { Alert } from '../entities/alert.entity';
import { AlertSeverity, AlertStatus } from '../entities/alert-levels';
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

type NewAlert = Target & Pick<Alert, 'message' | 'severity' | 'status' | 'comment' | 'createdAt' | 'updatedAt'>;

export const NO_HOSTS_MESSAGE = 'There are no hosts to attach test alerts to: create hosts or pull them from a monitor';

/**
 * The guide's mock alert generator, shared by POST /alerts/generate-test and the generate_alerts task. A run costs a
 * constant number of statements whatever the size of the inventory: one to bound the host ids, one to pick every
 * target, and one transaction with a single multi-row INSERT plus one UPDATE each for the hosts and items hit by a
 * critical alert (each preceded on PostgreSQL by a SELECT that locks those rows). It stays cheap when workers run
 * thousands of these tasks.
 */
@Injectable()
export class TestAlertGenerator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {}

  /** Throws ConflictError when there is no host at all. */
  async assertHostsExist(): Promise<void> {
    await this.hostIdRange();
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
    await this.write(alerts, critical);
    return { count: alerts.length, critical: critical.length };
  }

  private write(alerts: NewAlert[], critical: NewAlert[]): Promise<void> {
    return this.transactions.run(async (manager) => {
      await manager.createQueryBuilder().insert().into(Alert).values(alerts).updateEntity(false).execute();
      // The last critical alert on a host (or item) names the reason it is in error.
      await markCritical(manager, Host, new Map(critical.map((alert) => [alert.hostId, alert.message])));
      await markCritical(
        manager,
        Item,
        new Map(critical.flatMap((alert) => (alert.itemId === null ? [] : [[alert.itemId, alert.message]]))),
      );
    });
  }

  private async hostIdRange(): Promise<{ lo: number; hi: number }> {
    const row = await this.dataSource
      .createQueryBuilder()
      .select('MIN(host.id)', 'lo')
      .addSelect('MAX(host.id)', 'hi')
      .from(Host, 'host')
      .getRawOne<{ lo: number | null; hi: number | null }>();
    if (row?.lo === null || row?.lo === undefined) throw new ConflictError(NO_HOSTS_MESSAGE);
    return { lo: Number(row.lo), hi: Number(row.hi) };
  }

  /**
   * `count` random hosts (with repeats), each with a random one of its items or null when it has none, in one
   * query. A host is found by a random id in [min, max] and an index seek to the first host at or after it
   * (wrapping to the first host), so no host list is read: ids after a gap are likelier, which test data can bear.
   */
  private async pickTargets(count: number): Promise<Target[]> {
    const { lo, hi } = await this.hostIdRange();
    const params: Record<string, number> = {};
    const picks = Array.from({ length: count }, (_, index) => {
      params[`r${index}`] = lo + randomInt(hi - lo + 1);
      return `(CAST(:r${index} AS integer))`;
    });
    const sql =
      `WITH picks(r) AS (VALUES ${picks.join(', ')}), ` +
      `chosen AS (SELECT COALESCE(` +
      `(SELECT h.id FROM hosts h WHERE h.id >= picks.r ORDER BY h.id LIMIT 1), ` +
      `(SELECT h.id FROM hosts h ORDER BY h.id LIMIT 1)) AS host_id FROM picks) ` +
      `SELECT chosen.host_id AS host_id, ` +
      `(SELECT i.id FROM items i WHERE i.host_id = chosen.host_id ORDER BY RANDOM() LIMIT 1) AS item_id ` +
      `FROM chosen`;
    const [query, parameters] = this.dataSource.driver.escapeQueryWithParameters(sql, params);
    const rows = (await this.dataSource.query(query, parameters)) as Array<{
      host_id: number | string | null;
      item_id: number | string | null;
    }>;
    const targets = rows.flatMap((row) =>
      row.host_id === null
        ? []
        : [{ hostId: Number(row.host_id), itemId: row.item_id === null ? null : Number(row.item_id) }],
    );
    // Only when every host was deleted between the two queries.
    if (targets.length < count) throw new ConflictError(NO_HOSTS_MESSAGE);
    return targets;
  }
}

/**
 * Puts each host (or item) in error (status 2) with "Critical alert: <message>", in one UPDATE. On PostgreSQL the
 * rows are first locked in id order: an UPDATE locks them in the order it finds them, which concurrent updates
 * reshuffle, and two generations locking the same hosts in opposite orders would deadlock.
 */
async function markCritical(
  manager: EntityManager,
  entity: typeof Host | typeof Item,
  messages: Map<number, string>,
): Promise<void> {
  if (messages.size === 0) return;
  const ids = [...messages.keys()];
  if (manager.connection.options.type === 'postgres') {
    await manager
      .createQueryBuilder(entity, 'row')
      .select('row.id')
      .where('row.id IN (:...ids)', { ids })
      .orderBy('row.id')
      .setLock('for_no_key_update')
      .getRawMany();
  }
  const params: Record<string, unknown> = { ids };
  const cases = [...messages].map(([id, message], index) => {
    params[`id${index}`] = id;
    params[`reason${index}`] = `Critical alert: ${message}`;
    return `WHEN :id${index} THEN :reason${index}`;
  });
  await manager
    .createQueryBuilder()
    .update(entity)
    .set({ status: SyncStatus.Error, statusDescription: () => `CASE id ${cases.join(' ')} END` })
    .where('id IN (:...ids)', params)
    .execute();
}
