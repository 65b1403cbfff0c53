import { ALERT_SEVERITIES, ALERT_STATUSES, AlertSeverity, AlertStatus } from './entities/alert-levels';

/** What one alert of each severity weighs (Go gave severity 3 nothing; ours weighs it most). */
export const SEVERITY_WEIGHT: Readonly<Record<AlertSeverity, number>> = {
  [AlertSeverity.Info]: 1,
  [AlertSeverity.Warning]: 5,
  [AlertSeverity.Critical]: 20,
  [AlertSeverity.Disaster]: 50,
};

/** How much of its weight an alert counts in each status: acknowledged counts half, resolved nothing. */
export const STATUS_FACTOR: Readonly<Record<AlertStatus, number>> = {
  [AlertStatus.Active]: 1,
  [AlertStatus.Acknowledged]: 0.5,
  [AlertStatus.Resolved]: 0,
};

/** The statuses whose alerts weigh anything: the only rows the score's aggregate reads. */
export const COUNTED_STATUSES = ALERT_STATUSES.filter((status) => STATUS_FACTOR[status] > 0);

/** What one alert adds to the total weight W. */
export function alertWeight(alert: { severity: AlertSeverity; status: AlertStatus }): number {
  return SEVERITY_WEIGHT[alert.severity] * STATUS_FACTOR[alert.status];
}

/** The total weight W of a set of alerts. */
export function totalWeight(alerts: Iterable<{ severity: AlertSeverity; status: AlertStatus }>): number {
  let weight = 0;
  for (const alert of alerts) weight += alertWeight(alert);
  return weight;
}

/**
 * The alert health score for a total weight W: 100 with nothing counted, else `100 - floor(min(100, 50 ln(1 + W/10)))`,
 * an integer in 0..100 that falls as the weight grows (one active critical alert, W = 20, gives 46).
 */
export function alertScore(weight: number): number {
  if (!(weight > 0)) return 100;
  return 100 - Math.floor(Math.min(100, 50 * Math.log(1 + weight / 10)));
}

/**
 * SQL for twice the total weight W of the rows of `alias`: a SUM(CASE ...) built from the tables above, so the
 * database and `totalWeight` cannot disagree. Factors are doubled (acknowledged counts 1, active 2) to keep the sum
 * an exact integer on both databases; the caller halves it. Meant for rows already filtered to COUNTED_STATUSES.
 */
export function doubledWeightSql(alias: string): string {
  const severity = ALERT_SEVERITIES.map((level) => `WHEN ${level} THEN ${SEVERITY_WEIGHT[level]}`).join(' ');
  const factor = COUNTED_STATUSES.map((status) => `WHEN ${status} THEN ${STATUS_FACTOR[status] * 2}`).join(' ');
  return (
    `COALESCE(SUM((CASE ${alias}.severity ${severity} ELSE 0 END) * ` +
    `(CASE ${alias}.status ${factor} ELSE 0 END)), 0)`
  );
}
