import type { Alert } from '../entities/alert.entity';
import { AlertSeverity, AlertStatus } from '../entities/alert-levels';

/** The message column's length: a longer problem name is cut to it. */
const MESSAGE_MAX = 1024;

/** A monitor's problem as an alert should show it, its host and item already found in the inventory. */
export interface ProblemState {
  eventId: string;
  message: string;
  severity: AlertSeverity;
  /** Undefined when the source did not say (an event posted without the field): the acknowledgement stays. */
  acknowledged: boolean | undefined;
  startedAt: Date;
  hostId: number | null;
  itemId: number | null;
  /** When the source reported this state (a pull: before it asked): older than a change made since, it is stale. */
  observedAt: Date;
}

/** Zabbix severities 0–5 on ours: 0 not classified and 1 information → info, 2–3 → warning, 4 high → critical, 5. */
export function alertSeverityOf(zabbixSeverity: number): AlertSeverity {
  if (zabbixSeverity >= 5) return AlertSeverity.Disaster;
  if (zabbixSeverity === 4) return AlertSeverity.Critical;
  if (zabbixSeverity >= 2) return AlertSeverity.Warning;
  return AlertSeverity.Info;
}

export function problemMessage(name: string): string {
  return name.length > MESSAGE_MAX ? name.slice(0, MESSAGE_MAX) : name;
}

/**
 * What must change on a stored alert for it to show the problem as the monitor has it now; null when nothing does.
 * A resolved alert stays resolved (Zabbix never reopens an event). An acknowledgement follows the monitor both ways
 * (Zabbix 6.0 and later can undo one, and the alert is active again) once the monitor has it: one made on the
 * monitor (`acknowledgedBy` null), or one made in Nagare that its acknowledge_alert task sent before this state was
 * observed. Until then the monitor has not seen it, and the alert must not flicker back to active.
 */
export function changesFor(alert: Alert, state: ProblemState, now: Date): Partial<Alert> | null {
  if (alert.status === AlertStatus.Resolved) return null;
  const changes: Partial<Alert> = {};
  if (alert.message !== state.message) changes.message = state.message;
  if (alert.severity !== state.severity) changes.severity = state.severity;
  if (alert.hostId !== state.hostId) changes.hostId = state.hostId;
  if (alert.itemId !== state.itemId) changes.itemId = state.itemId;
  if (state.acknowledged === true && alert.status === AlertStatus.Active) {
    Object.assign(changes, { status: AlertStatus.Acknowledged, acknowledgedAt: now, acknowledgedBy: null });
  }
  if (state.acknowledged === false && isAcknowledgedOnMonitor(alert, state.observedAt)) {
    Object.assign(changes, {
      status: AlertStatus.Active,
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgementSentAt: null,
    });
  }
  return Object.keys(changes).length > 0 ? changes : null;
}

function isAcknowledgedOnMonitor(alert: Alert, observedAt: Date): boolean {
  if (alert.status !== AlertStatus.Acknowledged) return false;
  if (alert.acknowledgedBy === null) return true;
  return alert.acknowledgementSentAt !== null && alert.acknowledgementSentAt < observedAt;
}
