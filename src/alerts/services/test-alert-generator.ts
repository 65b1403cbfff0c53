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

type NewAlert = Target & Pick<Alert, 'message' | 'severity' | 'status' | 'comment' | 'createdAt' | 'updatedAt'>;

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
 * hosts and items they hit (each preceded on PostgreSQL by a SELECT that locks those rows). It stays cheap when
 * workers run thousands of these tasks.
 */
@Injectable()
export class TestAlertGenerator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
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
    await this.write(alerts, critical);
    return { count: alerts.length, critical: critical.length };
  }

  private write(alerts: NewAlert[], critical: NewAlert[]): Promise<void> {
    const insert = (manager: EntityManager) => insertAlerts(manager, alerts);
    // Without a critical alert the write is one INSERT, atomic by itself: no transaction (BEGIN and COMMIT) needed.
    if (critical.length === 0) return this.transactions.single(async (manager) => void (await insert(manager)));
    return this.transactions.run(async (manager) => {
      await insert(manager);
      // The last critical alert on a host (or item) names the reason it is in error.
      await markCritical(manager, Host, new Map(critical.map((alert) => [alert.hostId, alert.message])));
      await markCritical(
        manager,
        Item,
        new Map(critical.flatMap((alert) => (alert.itemId === null ? [] : [[alert.itemId, alert.message]]))),
      );
    });
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

const ALERT_FIELDS = [
  'message',
  'severity',
  'status',
  'hostId',
  'itemId',
  'comment',
  'createdAt',
  'updatedAt',
] as const;

/**
 * The alerts in one multi-row INSERT with bound parameters, its text the same for the same number of alerts, so the
 * driver prepares it once. TypeORM's insert builder costs more CPU than the statement here, and on SQLite it writes
 * numbers into the SQL, so each run's text differed. Values go through the driver's own conversion (dates), so they
 * are stored exactly as TypeORM stores them.
 */
async function insertAlerts(manager: EntityManager, alerts: NewAlert[]): Promise<void> {
  const metadata = manager.connection.getMetadata(Alert);
  const driver = manager.connection.driver;
  const postgres = driver.options.type === 'postgres';
  const columns = ALERT_FIELDS.map((field) => metadata.findColumnWithPropertyName(field)!);
  const parameters: unknown[] = [];
  const tuples = alerts.map((alert) => {
    const placeholders = columns.map((column, index) => {
      parameters.push(driver.preparePersistentValue(alert[ALERT_FIELDS[index]], column));
      return postgres ? `$${parameters.length}` : '?';
    });
    return `(${placeholders.join(', ')})`;
  });
  const names = columns.map((column) => `"${column.databaseName}"`).join(', ');
  await manager.query(`INSERT INTO "${metadata.tableName}" (${names}) VALUES ${tuples.join(', ')}`, parameters);
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
  // Each id as a one-element list (`:...id`): TypeORM's SQLite driver writes a lone number into the SQL text, so the
  // statement would differ per host and be prepared anew each time; list elements are bound as parameters.
  const cases = [...messages].map(([id, message], index) => {
    params[`id${index}`] = [id];
    params[`reason${index}`] = `Critical alert: ${message}`;
    return `WHEN :...id${index} THEN :reason${index}`;
  });
  await manager
    .createQueryBuilder()
    .update(entity)
    .set({ status: SyncStatus.Error, statusDescription: () => `CASE id ${cases.join(' ')} END` })
    .where('id IN (:...ids)', params)
    .execute();
}
