import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { MonitorType } from '../providers/monitor-provider';
import { SyncStatus } from './sync-status';

@Entity({ name: 'monitors' })
export class Monitor {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 128, unique: true }) name!: string;

  @Column({ type: 'varchar', length: 2048 }) url!: string;

  @Column({ type: 'varchar', length: 32 }) type!: MonitorType;

  /** Empty for a monitor that authenticates with an API token. */
  @Column({ type: 'varchar', length: 128 }) username!: string;

  /** Encrypted at rest (CredentialsCipher); write-only through the API. Empty with an API token. */
  @Column({ name: 'password_encrypted', type: 'text' }) passwordEncrypted!: string;

  /** The API token used instead of username and password, encrypted like the password; write-only. */
  @Column({ name: 'api_token_encrypted', type: 'text', nullable: true }) apiTokenEncrypted!: string | null;

  /** The monitor's session token from the last login, encrypted; never leaves the service. */
  @Column({ name: 'auth_token_encrypted', type: 'text', nullable: true }) authTokenEncrypted!: string | null;

  /** SHA-256 (hex) of the token that authenticates the events the monitor posts; the token itself is never kept. */
  @Column({ name: 'event_token_hash', type: 'varchar', length: 64, nullable: true }) eventTokenHash!: string | null;

  @Column({ type: 'text', default: '' }) description!: string;

  @Column({ type: 'boolean', default: true }) enabled!: boolean;

  @Column({ type: 'integer', default: SyncStatus.Inactive }) status!: SyncStatus;

  @Column({ name: 'status_description', type: 'varchar', length: 1024, default: '' }) statusDescription!: string;

  @Column({ name: 'last_sync_at', type: Date, nullable: true }) lastSyncAt!: Date | null;

  @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}
