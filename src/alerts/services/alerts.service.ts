import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not } from 'typeorm';
import { ConflictError, InvalidInputError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { ReadRepository } from '../../database/read-repository';
import { Host } from '../../monitors/entities/host.entity';
import { Item } from '../../monitors/entities/item.entity';
import { containsAny, containsPattern } from '../../monitors/services/like-pattern';
import { alertScore, COUNTED_STATUSES, doubledWeightSql } from '../alert-score';
import type { AlertQuery, CreateAlertDto, UpdateAlertDto } from '../dto/alert.dto';
import { Alert } from '../entities/alert.entity';
import { AlertStatus } from '../entities/alert-levels';
import { TaskProducer } from '../../queue/task-producer.service';
import { AlertsWriter } from './alerts-writer';

@Injectable()
export class AlertsService {
  constructor(
    @InjectRepository(Alert) private readonly alerts: ReadRepository<Alert>,
    @InjectRepository(Host) private readonly hosts: ReadRepository<Host>,
    @InjectRepository(Item) private readonly items: ReadRepository<Item>,
    private readonly writer: AlertsWriter,
    private readonly tasks: TaskProducer,
  ) {}

  /** Newest first; every filter narrows (AND). */
  async list(query: AlertQuery): Promise<Page<Alert>> {
    const from = instant(query.from, 'from');
    const to = instant(query.to, 'to');
    if (from && to && from > to) throw new InvalidInputError('from must not be after to');
    const qb = this.alerts
      .createQueryBuilder('alert')
      .orderBy('alert.created_at', 'DESC')
      .addOrderBy('alert.id', 'DESC');
    if (query.severity !== undefined) qb.andWhere('alert.severity = :severity', { severity: query.severity });
    if (query.status !== undefined) qb.andWhere('alert.status = :status', { status: query.status });
    if (query.host_id !== undefined) qb.andWhere('alert.host_id = :hostId', { hostId: query.host_id });
    if (query.item_id !== undefined) qb.andWhere('alert.item_id = :itemId', { itemId: query.item_id });
    if (query.source !== undefined) qb.andWhere('alert.source = :source', { source: query.source });
    if (query.q) qb.andWhere(containsAny(['alert.message'], 'q'), { q: containsPattern(query.q) });
    if (from) qb.andWhere('alert.created_at >= :from', { from });
    if (to) qb.andWhere('alert.created_at <= :to', { to });
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: number): Promise<Alert> {
    const alert = await this.alerts.findOneBy({ id });
    if (!alert) throw new NotFoundError(`Alert ${id} not found`);
    return alert;
  }

  async create(input: CreateAlertDto): Promise<Alert> {
    const hostId = await this.resolveTarget(input.host_id, input.item_id);
    const now = new Date();
    const id = await this.writer.insert({
      message: input.message,
      severity: input.severity,
      status: AlertStatus.Active,
      hostId,
      itemId: input.item_id ?? null,
      comment: input.comment ?? '',
      // Set here rather than by the column default, so SQLite keeps milliseconds as PostgreSQL does.
      createdAt: now,
      updatedAt: now,
    });
    return this.get(id);
  }

  /**
   * Acknowledges (status 1) or resolves (status 2) the alert as `username`, recording who and when. Each transition
   * is a conditional UPDATE, so repeating it (even concurrently) keeps the first record; a resolved alert cannot go
   * back to acknowledged.
   */
  async update(id: number, changes: UpdateAlertDto, username: string): Promise<Alert> {
    const alert = await this.get(id);
    const now = new Date();
    if (changes.status === AlertStatus.Resolved && alert.source === 'zabbix') {
      throw new ConflictError(`Alert ${id} is a problem on monitor ${alert.monitorId}: it is resolved there, not here`);
    }
    if (changes.status === AlertStatus.Acknowledged) {
      if (alert.status === AlertStatus.Resolved) {
        throw new ConflictError(`Alert ${id} is resolved; it can no longer be acknowledged`);
      }
      await this.writer.update(
        { id, status: AlertStatus.Active },
        {
          status: AlertStatus.Acknowledged,
          acknowledgedBy: username,
          acknowledgedAt: now,
          acknowledgementSentAt: null,
        },
      );
      await this.acknowledgeOnMonitor(id);
    }
    if (changes.status === AlertStatus.Resolved) {
      await this.writer.update(
        { id, status: Not(AlertStatus.Resolved) },
        { status: AlertStatus.Resolved, resolvedBy: username, resolvedAt: now },
      );
    }
    if (changes.comment !== undefined) await this.writer.update({ id }, { comment: changes.comment });
    return this.get(id);
  }

  /**
   * A problem acknowledged here is acknowledged on its monitor too, by an acknowledge_alert task. Queued again on
   * a repeated request while the acknowledgement is Nagare's (a waiting one is returned, not doubled), so a request
   * answered 503 can be retried; not for one that the monitor itself reported acknowledged.
   */
  private async acknowledgeOnMonitor(id: number): Promise<void> {
    const alert = await this.get(id);
    if (alert.source !== 'zabbix' || alert.monitorId === null || alert.acknowledgedBy === null) return;
    await this.tasks.enqueue('acknowledge_alert', { alert_id: id });
  }

  async remove(id: number): Promise<void> {
    if (!(await this.writer.delete(id))) throw new NotFoundError(`Alert ${id} not found`);
  }

  /**
   * The total weight W of the alerts, summed by the database in one aggregate over the (status, severity) index:
   * no alert is loaded, however many there are.
   */
  async weight(): Promise<number> {
    const row = await this.alerts
      .createQueryBuilder('alert')
      .select(doubledWeightSql('alert'), 'doubled')
      .where('alert.status IN (:...counted)', { counted: COUNTED_STATUSES })
      .getRawOne<{ doubled: number | string }>();
    // PostgreSQL returns the bigint sum as text.
    return Number(row?.doubled ?? 0) / 2;
  }

  async score(): Promise<number> {
    return alertScore(await this.weight());
  }

  /** Checks that the host and item exist (the item on that host) and returns the alert's host id. */
  private async resolveTarget(hostId: number | undefined, itemId: number | undefined): Promise<number | null> {
    if (hostId !== undefined && !(await this.hosts.existsBy({ id: hostId }))) {
      throw new NotFoundError(`Host ${hostId} not found`);
    }
    if (itemId === undefined) return hostId ?? null;
    const item = await this.items.findOne({ where: { id: itemId }, select: { id: true, hostId: true } });
    if (!item) throw new NotFoundError(`Item ${itemId} not found`);
    if (hostId !== undefined && item.hostId !== hostId) {
      throw new NotFoundError(`Item ${itemId} not found on host ${hostId}`);
    }
    return item.hostId;
  }
}

/** The instant an ISO 8601 query value names; the DTO has checked its form, this catches what Date cannot read. */
function instant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`${field} must be an ISO 8601 date-time`);
  return date;
}
