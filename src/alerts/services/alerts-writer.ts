import { Injectable } from '@nestjs/common';
import { type FindOptionsWhere } from 'typeorm';
import { BULK_BATCH, bulkInsert, bulkUpsert, defineTable, type Row } from '../../database/bulk-write';
import { Transactions } from '../../database/transactions';
import { InventoryWriter } from '../../monitors/sync/inventory-writer';
import { Alert } from '../entities/alert.entity';

/** What the test generator writes of an alert. */
export const GENERATED_ALERTS = defineTable({
  entity: Alert,
  columns: ['message', 'severity', 'status', 'hostId', 'itemId', 'comment', 'createdAt', 'updatedAt'],
  conflict: [],
});

export type NewAlert = Row<typeof GENERATED_ALERTS>;

/** What a monitor's problem writes of a new alert; the event id is its key. */
export const PROBLEM_ALERTS = defineTable({
  entity: Alert,
  columns: [
    'message',
    'severity',
    'status',
    'hostId',
    'itemId',
    'source',
    'monitorId',
    'externalId',
    'acknowledgedAt',
    'resolvedAt',
    'createdAt',
    'updatedAt',
  ],
  conflict: ['monitorId', 'source', 'externalId'],
});

export type NewProblemAlert = Row<typeof PROBLEM_ALERTS>;

/**
 * The one writer of the alerts table, every write through Transactions. Single statements need no transaction of
 * their own: on SQLite they still wait for the one open, so they never join it.
 */
@Injectable()
export class AlertsWriter {
  constructor(
    private readonly transactions: Transactions,
    private readonly inventory: InventoryWriter,
  ) {}

  async insert(alert: NewAlert): Promise<number> {
    const { identifiers } = await this.transactions.single((manager) => manager.insert(Alert, alert));
    return identifiers[0].id as number;
  }

  /** A conditional UPDATE: the alerts matching `where` (none, when another change came first) get `changes`. */
  async update(where: FindOptionsWhere<Alert>, changes: Partial<Alert>): Promise<boolean> {
    const { affected } = await this.transactions.single((manager) => manager.update(Alert, where, changes));
    return Boolean(affected);
  }

  /**
   * New alerts for a monitor's problems, in multi-row statements. Keyed by event: a row another writer (an event
   * posted by the monitor) stored meanwhile is overwritten with the same problem's fields rather than doubled.
   */
  async insertProblems(alerts: NewProblemAlert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i += BULK_BATCH) {
      const batch = alerts.slice(i, i + BULK_BATCH);
      await this.transactions.single((manager) => bulkUpsert(manager, PROBLEM_ALERTS, batch));
    }
  }

  /** Whether there was such an alert. */
  async delete(id: number): Promise<boolean> {
    const { affected } = await this.transactions.single((manager) => manager.delete(Alert, { id }));
    return Boolean(affected);
  }

  /**
   * The generated alerts in one multi-row INSERT, its text the same for the same number of alerts so the driver
   * prepares it once. With critical ones, the inventory puts their hosts and items in error in the same transaction.
   */
  insertGenerated(alerts: NewAlert[], critical: NewAlert[]): Promise<void> {
    // Without a critical alert the write is one INSERT, atomic by itself: no transaction (BEGIN and COMMIT) needed.
    if (critical.length === 0)
      return this.transactions.single((manager) => bulkInsert(manager, GENERATED_ALERTS, alerts));
    return this.transactions.run(async (manager) => {
      await bulkInsert(manager, GENERATED_ALERTS, alerts);
      await this.inventory.markCritical(
        manager,
        critical.map((alert) => ({ hostId: alert.hostId as number, itemId: alert.itemId, message: alert.message })),
      );
    });
  }
}
