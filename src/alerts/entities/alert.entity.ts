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
import { Host } from '../../monitors/entities/host.entity';
import { Item } from '../../monitors/entities/item.entity';
import { Monitor } from '../../monitors/entities/monitor.entity';
import { AlertSeverity, type AlertSource, AlertStatus } from './alert-levels';

/**
 * An alert about a host or one of its items (or about neither). Deleting the host or item keeps the alert, with the
 * reference cleared. The (status, severity) index covers the score's aggregate; created_at serves the newest-first
 * list and its time range. An alert from a monitor is kept once per event: (monitor, source, external id) is unique.
 */
@Entity({ name: 'alerts' })
@Index(['status', 'severity'])
@Index(['monitorId', 'source', 'externalId'], { unique: true })
export class Alert {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 1024 }) message!: string;

  @Column({ type: 'integer' }) severity!: AlertSeverity;

  @Column({ type: 'integer', default: AlertStatus.Active }) status!: AlertStatus;

  @Index()
  @Column({ name: 'host_id', type: 'integer', nullable: true })
  hostId!: number | null;

  @ManyToOne(() => Host, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'host_id' })
  host?: Host;

  /** Indexed so that deleting an item (or a host, with its items) finds its alerts without a scan. */
  @Index()
  @Column({ name: 'item_id', type: 'integer', nullable: true })
  itemId!: number | null;

  @ManyToOne(() => Item, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'item_id' })
  item?: Item;

  @Column({ type: 'text', default: '' }) comment!: string;

  /** Where the alert comes from: `zabbix` (a monitor's problem) or `test` (the generator, or made by hand). */
  @Column({ type: 'varchar', length: 16, default: 'test' }) source!: AlertSource;

  /** The monitor whose problem it is (zabbix alerts); cleared when the monitor is deleted. */
  @Column({ name: 'monitor_id', type: 'integer', nullable: true })
  monitorId!: number | null;

  @ManyToOne(() => Monitor, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'monitor_id' })
  monitor?: Monitor;

  /** The problem's event id on the monitor (Zabbix eventid); null for test alerts. */
  @Column({ name: 'external_id', type: 'varchar', length: 64, nullable: true }) externalId!: string | null;

  /** The username of who acknowledged it; kept as text so the record outlives the user. */
  @Column({ name: 'acknowledged_by', type: 'varchar', length: 64, nullable: true }) acknowledgedBy!: string | null;

  @Column({ name: 'acknowledged_at', type: Date, nullable: true }) acknowledgedAt!: Date | null;

  /** When an acknowledgement made in Nagare reached the monitor (its acknowledge_alert task); null until then. */
  @Column({ name: 'acknowledgement_sent_at', type: Date, nullable: true }) acknowledgementSentAt!: Date | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 64, nullable: true }) resolvedBy!: string | null;

  @Column({ name: 'resolved_at', type: Date, nullable: true }) resolvedAt!: Date | null;

  @Index()
  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}
