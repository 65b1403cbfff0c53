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
import { HostGroup } from './host-group.entity';
import { Monitor } from './monitor.entity';
import { SyncStatus } from './sync-status';

@Entity({ name: 'hosts' })
@Index(['monitorId', 'externalId'], { unique: true })
export class Host {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 255 }) name!: string;

  /** Zabbix `host`, the name agents and senders use; null until given, pulled or derived by a push. */
  @Column({ name: 'technical_name', type: 'varchar', length: 128, nullable: true }) technicalName!: string | null;

  /** Null for a local host that has not been pushed to a monitor yet. */
  @Index()
  @Column({ name: 'monitor_id', type: 'integer', nullable: true })
  monitorId!: number | null;

  @ManyToOne(() => Monitor, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'monitor_id' })
  monitor?: Monitor;

  /** The host's id on the monitor (Zabbix hostid). */
  @Column({ name: 'external_id', type: 'varchar', length: 64, nullable: true }) externalId!: string | null;

  /** The first of the host's groups (all of them are in host_group_links), kept for compatibility. */
  @Index()
  @Column({ name: 'group_id', type: 'integer', nullable: true })
  groupId!: number | null;

  @ManyToOne(() => HostGroup, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'group_id' })
  group?: HostGroup;

  @Column({ type: 'text', default: '' }) description!: string;

  @Column({ type: 'boolean', default: true }) enabled!: boolean;

  @Column({ type: 'integer', default: SyncStatus.Inactive }) status!: SyncStatus;

  @Column({ name: 'status_description', type: 'varchar', length: 1024, default: '' }) statusDescription!: string;

  @Column({ name: 'ip_addr', type: 'varchar', length: 255, nullable: true }) ipAddr!: string | null;

  @Column({ name: 'last_sync_at', type: Date, nullable: true }) lastSyncAt!: Date | null;

  @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}
