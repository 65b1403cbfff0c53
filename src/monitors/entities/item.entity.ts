import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Host } from './host.entity';
import { SyncStatus } from './sync-status';

/** Whether the monitor can collect the item: Zabbix item state 0 and 1. */
export const ITEM_STATES = ['normal', 'not_supported'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/** Zabbix value types: 0 float, 1 character, 2 log, 3 unsigned integer, 4 text. */
export const VALUE_TYPES = [0, 1, 2, 3, 4] as const;

@Entity({ name: 'items' })
@Index(['hostId', 'externalId'], { unique: true })
export class Item {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 255 }) name!: string;

  // No index of its own: the unique (host_id, external_id) index above serves lookups by host_id.
  @Column({ name: 'host_id', type: 'integer' })
  hostId!: number;

  @ManyToOne(() => Host, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'host_id' })
  host?: Host;

  /** The item's id on the monitor (Zabbix itemid). */
  @Column({ name: 'external_id', type: 'varchar', length: 64, nullable: true }) externalId!: string | null;

  /** The host's id on the monitor when the item was last synced. */
  @Column({ name: 'external_host_id', type: 'varchar', length: 64, nullable: true }) externalHostId!: string | null;

  @Column({ name: 'item_key', type: 'varchar', length: 2048 }) key!: string;

  @Column({ name: 'value_type', type: 'integer', default: 0 }) valueType!: number;

  @Column({ name: 'last_value', type: 'text', nullable: true }) lastValue!: string | null;

  /** When the monitor collected last_value; null when it never did. */
  @Column({ name: 'last_clock', type: Date, nullable: true }) lastClock!: Date | null;

  @Column({ type: 'varchar', length: 255, default: '' }) units!: string;

  @Column({ type: 'text', default: '' }) description!: string;

  @Column({ type: 'boolean', default: true }) enabled!: boolean;

  @Column({ type: 'varchar', length: 16, default: 'normal' }) state!: ItemState;

  /** The monitor's reason for not_supported, '' otherwise. */
  @Column({ name: 'state_error', type: 'varchar', length: 2048, default: '' }) stateError!: string;

  @Column({ type: 'integer', default: SyncStatus.Inactive }) status!: SyncStatus;

  @Column({ name: 'status_description', type: 'varchar', length: 1024, default: '' }) statusDescription!: string;

  @Column({ name: 'last_sync_at', type: Date, nullable: true }) lastSyncAt!: Date | null;

  /**
   * A hash of what the last pull wrote of the item, so the next pull can tell an unchanged item without reading its
   * fields. Only a pull writes it; it counts only while updated_at equals last_sync_at (no one changed the row since).
   */
  @Column({ name: 'sync_hash', type: 'varchar', length: 32, nullable: true, select: false }) syncHash!: string | null;

  @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}
