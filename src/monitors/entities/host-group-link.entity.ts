import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { HostGroup } from './host-group.entity';
import { Host } from './host.entity';

/** One group of a host: a host is in every group it is in on the monitor, in the order given there. */
@Entity({ name: 'host_group_links' })
export class HostGroupLink {
  @PrimaryColumn({ name: 'host_id', type: 'integer' }) hostId!: number;

  @Index()
  @PrimaryColumn({ name: 'group_id', type: 'integer' })
  groupId!: number;

  /** 0 for the host's first group (its `group_id`), then 1, 2... */
  @Column({ type: 'integer', default: 0 }) position!: number;

  @ManyToOne(() => Host, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'host_id' })
  host?: Host;

  @ManyToOne(() => HostGroup, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group?: HostGroup;
}
