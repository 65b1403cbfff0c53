import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Monitor } from './monitor.entity';

/** A host group as on the monitor; hosts are grouped as there. */
@Entity({ name: 'host_groups' })
@Index(['monitorId', 'externalId'], { unique: true })
export class HostGroup {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 255 }) name!: string;

  @Column({ name: 'monitor_id', type: 'integer', nullable: true }) monitorId!: number | null;

  @ManyToOne(() => Monitor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'monitor_id' })
  monitor?: Monitor;

  /** The group's id on the monitor. */
  @Column({ name: 'external_id', type: 'varchar', length: 64, nullable: true }) externalId!: string | null;
}
