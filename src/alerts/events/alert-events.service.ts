import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ReadRepository } from '../../database/read-repository';
import { Alert } from '../entities/alert.entity';
import { ProblemAlerts } from '../zabbix/problem-alerts';
import type { ZabbixEventDto, ZabbixEventResponse } from './zabbix-event.dto';

/**
 * An event a monitor posted: a problem or its update stored as the pull would store it, a recovery resolving its
 * alert, each at the time it happened on the monitor (as a pull would have it). Idempotent by event id: the same
 * event again changes nothing (`unchanged`).
 */
@Injectable()
export class AlertEvents {
  constructor(
    @InjectRepository(Alert) private readonly alerts: ReadRepository<Alert>,
    private readonly problems: ProblemAlerts,
  ) {}

  async handle(monitorId: number, event: ZabbixEventDto): Promise<ZabbixEventResponse> {
    let outcome: ZabbixEventResponse['outcome'];
    const arrival = new Date();
    const at = happenedAt(event.clock, arrival);
    if (event.kind === 'recovery') {
      const resolved = await this.problems.resolve(monitorId, [{ eventId: event.event_id, resolvedAt: at }]);
      outcome = resolved > 0 ? 'resolved' : 'unchanged';
    } else {
      const [state] = await this.problems.statesOf(
        monitorId,
        [
          {
            eventId: event.event_id,
            name: event.name as string,
            severity: event.severity as number,
            acknowledged: event.acknowledged,
            clock: at,
            externalHostId: event.host_id ?? null,
            externalItemId: event.item_id ?? null,
          },
        ],
        // What the event says of the acknowledgement is as of as_of: a late delivery undoes no acknowledgement
        // Nagare sent after it.
        happenedAt(event.as_of, arrival),
      );
      const { added, updated } = await this.problems.apply(monitorId, [state]);
      outcome = added > 0 ? 'added' : updated > 0 ? 'updated' : 'unchanged';
    }
    const alert = await this.alerts.findOne({
      where: { monitorId, source: 'zabbix', externalId: event.event_id },
      select: { id: true },
    });
    return { event_id: event.event_id, outcome, alert_id: alert?.id ?? null };
  }
}

/**
 * The event's time on the monitor: Zabbix retries a failed delivery for minutes, so the arrival time can be late.
 * A media type that does not send the time, or a monitor whose clock runs ahead of ours, gets the arrival time.
 */
export function happenedAt(clock: number | undefined, arrival: Date): Date {
  if (clock === undefined || clock * 1000 >= arrival.getTime()) return arrival;
  return new Date(clock * 1000);
}
