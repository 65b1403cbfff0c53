import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { Monitor } from '../entities/monitor.entity';
import { InventoryWriter } from '../sync/inventory-writer';

/**
 * The one writer of a monitor's own record (name, URL, credentials, session token), every write through
 * Transactions. Its sync status is the inventory's (InventoryWriter.setMonitorStatus).
 */
@Injectable()
export class MonitorsWriter {
  constructor(
    private readonly transactions: Transactions,
    private readonly inventory: InventoryWriter,
  ) {}

  save(monitor: Monitor): Promise<Monitor> {
    return this.transactions.run((manager) => manager.save(Monitor, monitor));
  }

  /** Deletes the monitor; its hosts and groups stay, detached, in the same transaction. */
  async delete(id: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      await this.inventory.detachFromMonitor(manager, id);
      await manager.delete(Monitor, { id });
    });
  }

  /** The event token's hash; the previous one stops working at once. */
  async setEventTokenHash(id: number, eventTokenHash: string): Promise<void> {
    await this.transactions.single((manager) => manager.update(Monitor, { id }, { eventTokenHash }));
  }

  /** The session token, already encrypted (or null to drop it). */
  async setAuthToken(id: number, authTokenEncrypted: string | null): Promise<void> {
    await this.transactions.single((manager) => manager.update(Monitor, { id }, { authTokenEncrypted }));
  }

  /**
   * Replaces one sealed credential with the same secret sealed under the current key, unless the row changed
   * since it was read (a PATCH in between wins). True when it was replaced.
   */
  async reseal(id: number, field: SealedField, before: string, after: string): Promise<boolean> {
    const result = await this.transactions.single((manager) =>
      manager.update(Monitor, { id, [field]: before }, { [field]: after }),
    );
    return (result.affected ?? 0) > 0;
  }
}

/** The monitor columns that hold a secret sealed by CredentialsCipher. */
export const SEALED_FIELDS = ['passwordEncrypted', 'apiTokenEncrypted', 'authTokenEncrypted'] as const;
export type SealedField = (typeof SEALED_FIELDS)[number];
