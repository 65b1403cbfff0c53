/** How bad an alert is, as in the original system plus `disaster` (which Go's score forgot to weigh). */
export enum AlertSeverity {
  Info = 0,
  Warning = 1,
  Critical = 2,
  Disaster = 3,
}

/** Where an alert is in its life: raised, seen by an operator, or over. */
export enum AlertStatus {
  Active = 0,
  Acknowledged = 1,
  Resolved = 2,
}

export const ALERT_SEVERITIES = [
  AlertSeverity.Info,
  AlertSeverity.Warning,
  AlertSeverity.Critical,
  AlertSeverity.Disaster,
] as const;

export const ALERT_STATUSES = [AlertStatus.Active, AlertStatus.Acknowledged, AlertStatus.Resolved] as const;

/** Where an alert comes from: a monitor's problem, or the test generator (and alerts made by hand). */
export const ALERT_SOURCES = ['zabbix', 'test'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];
