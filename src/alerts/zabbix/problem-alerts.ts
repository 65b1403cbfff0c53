import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type FindOptionsWhere, In, IsNull, Not } from 'typeorm';
import type { ReadRepository } from '../../database/read-repository';
import { Host } from '../../monitors/entities/host.entity';
import { Item } from '../../monitors/entities/item.entity';
import type { ProblemResolution, RemoteProblem } from '../../monitors/providers/monitor-provider';
import { Alert } from '../entities/alert.entity';
import { AlertStatus } from '../entities/alert-levels';
import { AlertsWriter, type NewProblemAlert } from '../services/alerts-writer';
import { alertSeverityOf, changesFor, problemMessage, type ProblemState } from './problem-state';

/** A problem as a pull or a posted event reports it. */
export type ReportedProblem = Omit<RemoteProblem, 'acknowledged'> & { acknowledged: boolean | undefined };

/** Ids per IN (…) list, well under both databases' bound-parameter limits. */
const IN_BATCH = 500;

/**
 * Keeps a monitor's problems as alerts of source `zabbix`, one per event: what a pull and the monitor's own events
 * both write through. Writing the same state twice changes nothing.
 */
@Injectable()
export class ProblemAlerts {
  constructor(
    @InjectRepository(Alert) private readonly alerts: ReadRepository<Alert>,
    @InjectRepository(Host) private readonly hosts: ReadRepository<Host>,
    @InjectRepository(Item) private readonly items: ReadRepository<Item>,
    private readonly writer: AlertsWriter,
  ) {}

  /**
   * The problems as alert states, their host and item found among the monitor's hosts and items by external id.
   * `acknowledged` undefined: the source did not say (an event posted without the field). `observedAt`: when the
   * source reported them.
   */
  async statesOf(monitorId: number, problems: ReportedProblem[], observedAt: Date): Promise<ProblemState[]> {
    const hostIds = new Map<string, number>();
    const wantedHosts = unique(problems.map((problem) => problem.externalHostId));
    for (const batch of batches(wantedHosts)) {
      const found = await this.hosts.find({
        select: { id: true, externalId: true },
        where: { monitorId, externalId: In(batch) },
      });
      for (const host of found) hostIds.set(host.externalId as string, host.id);
    }
    const itemIds = new Map<string, { id: number; hostId: number }>();
    const wantedItems = unique(problems.map((problem) => problem.externalItemId));
    for (const batch of batches(wantedItems)) {
      const found = await this.items.find({
        select: { id: true, hostId: true, externalId: true },
        where: { externalId: In(batch), host: { monitorId } },
      });
      for (const item of found) itemIds.set(item.externalId as string, { id: item.id, hostId: item.hostId });
    }
    return problems.map((problem) => {
      const hostId = problem.externalHostId === null ? null : (hostIds.get(problem.externalHostId) ?? null);
      const item = problem.externalItemId === null ? undefined : itemIds.get(problem.externalItemId);
      return {
        eventId: problem.eventId,
        message: problemMessage(problem.name),
        severity: alertSeverityOf(problem.severity),
        acknowledged: problem.acknowledged,
        startedAt: problem.clock,
        hostId,
        itemId: item && item.hostId === hostId ? item.id : null,
        observedAt,
      };
    });
  }

  /** Stores the problems' states: new events become alerts, known ones change where the monitor's state differs. */
  async apply(monitorId: number, states: ProblemState[]): Promise<{ added: number; updated: number }> {
    const known = new Map<string, Alert>();
    for (const batch of batches(states.map((state) => state.eventId))) {
      for (const alert of await this.alerts.findBy({ monitorId, source: 'zabbix', externalId: In(batch) })) {
        known.set(alert.externalId as string, alert);
      }
    }
    const now = new Date();
    const added: NewProblemAlert[] = [];
    let updated = 0;
    for (const state of states) {
      const alert = known.get(state.eventId);
      if (!alert) {
        added.push(newAlert(monitorId, state, now));
        continue;
      }
      const changes = changesFor(alert, state, now);
      if (changes && (await this.writer.update(asRead(alert), changes))) updated += 1;
    }
    await this.writer.insertProblems(added);
    return { added: added.length, updated };
  }

  /** The monitor's zabbix alerts still open here whose events are not among `openEventIds`. */
  async openElsewhere(monitorId: number, openEventIds: string[]): Promise<string[]> {
    const open = await this.alerts.find({
      select: { id: true, externalId: true },
      where: { monitorId, source: 'zabbix', status: Not(AlertStatus.Resolved) },
    });
    const stillOpen = new Set(openEventIds);
    return open.map((alert) => alert.externalId as string).filter((eventId) => !stillOpen.has(eventId));
  }

  /** Resolves the alerts of the events the monitor closed, at the time it closed them; returns how many changed. */
  async resolve(monitorId: number, resolutions: ProblemResolution[]): Promise<number> {
    let resolved = 0;
    for (const { eventId, resolvedAt } of resolutions) {
      if (resolvedAt === null) continue;
      const changed = await this.writer.update(
        { monitorId, source: 'zabbix', externalId: eventId, status: Not(AlertStatus.Resolved) },
        { status: AlertStatus.Resolved, resolvedAt, resolvedBy: null },
      );
      if (changed) resolved += 1;
    }
    return resolved;
  }
}

/**
 * The alert still as it was read, its status and who acknowledged it: a change computed from that read is not
 * written over one made meanwhile (a user's acknowledgement, even after the monitor's was undone and redone).
 */
function asRead(alert: Alert): FindOptionsWhere<Alert> {
  return { id: alert.id, status: alert.status, acknowledgedBy: alert.acknowledgedBy ?? IsNull() };
}

function newAlert(monitorId: number, state: ProblemState, now: Date): NewProblemAlert {
  return {
    message: state.message,
    severity: state.severity,
    status: state.acknowledged ? AlertStatus.Acknowledged : AlertStatus.Active,
    hostId: state.hostId,
    itemId: state.itemId,
    source: 'zabbix',
    monitorId,
    externalId: state.eventId,
    acknowledgedAt: state.acknowledged ? now : null,
    resolvedAt: null,
    createdAt: state.startedAt,
    updatedAt: now,
  };
}

function unique(ids: (string | null)[]): string[] {
  return [...new Set(ids.filter((id): id is string => id !== null))];
}

function batches(ids: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += IN_BATCH) out.push(ids.slice(i, i + IN_BATCH));
  return out;
}
