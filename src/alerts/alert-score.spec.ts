import { alertScore, SEVERITY_WEIGHT, STATUS_FACTOR, totalWeight } from './alert-score';
import { ALERT_SEVERITIES, AlertSeverity, AlertStatus } from './entities/alert-levels';

interface AlertLike {
  severity: AlertSeverity;
  status: AlertStatus;
}

const scoreOf = (alerts: AlertLike[]) => alertScore(totalWeight(alerts));
const alert = (severity: AlertSeverity, status = AlertStatus.Active): AlertLike => ({ severity, status });

/** mulberry32: a small seeded PRNG, so every failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)];
const STATUSES = [AlertStatus.Active, AlertStatus.Acknowledged, AlertStatus.Resolved] as const;

/** A random set of alerts: mostly small (where the score is not yet 0), sometimes large. */
function alertSet(next: () => number): AlertLike[] {
  const size = Math.floor(next() * (next() < 0.8 ? 8 : 300));
  return Array.from({ length: size }, () => alert(pick(next, ALERT_SEVERITIES), pick(next, STATUSES)));
}

const CASES = 2000;

/** Runs `check` on CASES seeded alert sets; a failure names the seed that reproduces it. */
function forAllAlertSets(check: (alerts: AlertLike[], next: () => number) => void): void {
  for (let seed = 1; seed <= CASES; seed += 1) {
    const next = random(seed);
    const alerts = alertSet(next);
    try {
      check(alerts, next);
    } catch (error) {
      throw new Error(`seed ${seed}, alerts ${JSON.stringify(alerts)}: ${(error as Error).message}`);
    }
  }
}

describe(alertScore.name, () => {
  describe('worked examples', () => {
    it('is 100 with no alerts at all', () => {
      expect(scoreOf([])).toBe(100);
    });

    it('is 100 when every alert is resolved, since they weigh nothing', () => {
      const resolved = [
        alert(AlertSeverity.Disaster, AlertStatus.Resolved),
        alert(AlertSeverity.Info, AlertStatus.Resolved),
      ];
      expect(scoreOf(resolved)).toBe(100);
    });

    it('is 46 for one active critical alert (W = 20)', () => {
      expect(totalWeight([alert(AlertSeverity.Critical)])).toBe(20);
      expect(scoreOf([alert(AlertSeverity.Critical)])).toBe(46);
    });

    it('is 66 for one acknowledged critical alert (W = 10, 100 - floor(50 ln 2))', () => {
      expect(totalWeight([alert(AlertSeverity.Critical, AlertStatus.Acknowledged)])).toBe(10);
      expect(scoreOf([alert(AlertSeverity.Critical, AlertStatus.Acknowledged)])).toBe(66);
    });

    it('is 11 for one active disaster (W = 50, 100 - floor(50 ln 6))', () => {
      expect(totalWeight([alert(AlertSeverity.Disaster)])).toBe(50);
      expect(scoreOf([alert(AlertSeverity.Disaster)])).toBe(11);
    });

    it('is 96 for one active info alert (W = 1) and 80 for one active warning (W = 5)', () => {
      expect(scoreOf([alert(AlertSeverity.Info)])).toBe(96);
      expect(scoreOf([alert(AlertSeverity.Warning)])).toBe(80);
    });

    it('bottoms out at 0 once 50 ln(1 + W/10) reaches 100, and stays there for huge weights', () => {
      const saturation = 10 * (Math.exp(2) - 1); // about 63.9
      expect(alertScore(Math.ceil(saturation))).toBe(0);
      expect(alertScore(Math.floor(saturation))).toBe(1);
      expect(alertScore(1e12)).toBe(0);
      expect(alertScore(Number.MAX_VALUE)).toBe(0);
    });

    it('weighs severities 1, 5, 20, 50 and statuses active 1, acknowledged 0.5, resolved 0', () => {
      expect(SEVERITY_WEIGHT).toEqual({ 0: 1, 1: 5, 2: 20, 3: 50 });
      expect(STATUS_FACTOR).toEqual({ 0: 1, 1: 0.5, 2: 0 });
    });
  });

  describe('properties over random alert sets', () => {
    it('is always an integer in 0..100', () => {
      forAllAlertSets((alerts) => {
        const score = scoreOf(alerts);
        expect(Number.isInteger(score)).toBe(true);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
      });
    });

    it('never rises when an active alert is added', () => {
      forAllAlertSets((alerts, next) => {
        const added = [...alerts, alert(pick(next, ALERT_SEVERITIES))];
        expect(scoreOf(added)).toBeLessThanOrEqual(scoreOf(alerts));
      });
    });

    it('falls when an active critical or disaster alert is added to a set scoring 40 or more', () => {
      let seen = 0;
      forAllAlertSets((alerts, next) => {
        if (scoreOf(alerts) < 40) return; // near 0 the min() and floor() may absorb even a heavy alert
        seen += 1;
        expect(scoreOf([...alerts, alert(pick(next, [AlertSeverity.Critical, AlertSeverity.Disaster]))])).toBeLessThan(
          scoreOf(alerts),
        );
      });
      expect(seen).toBeGreaterThan(CASES / 10);
    });

    it('never rises when an alert is raised to a higher severity', () => {
      forAllAlertSets((alerts, next) => {
        const raisable = alerts.flatMap((a, index) => (a.severity < AlertSeverity.Disaster ? [index] : []));
        if (raisable.length === 0) return;
        const index = pick(next, raisable);
        const raised = alerts.map((a, i) =>
          i === index ? { ...a, severity: a.severity + 1 + Math.floor(next() * (3 - a.severity)) } : a,
        );
        expect(raised[index].severity).toBeGreaterThan(alerts[index].severity);
        expect(scoreOf(raised)).toBeLessThanOrEqual(scoreOf(alerts));
      });
    });

    it('never falls when an alert is resolved', () => {
      forAllAlertSets((alerts, next) => {
        if (alerts.length === 0) return;
        const index = Math.floor(next() * alerts.length);
        const resolved = alerts.map((a, i) => (i === index ? { ...a, status: AlertStatus.Resolved } : a));
        expect(scoreOf(resolved)).toBeGreaterThanOrEqual(scoreOf(alerts));
      });
    });

    it('never falls when an active alert is acknowledged', () => {
      forAllAlertSets((alerts, next) => {
        const active = alerts.flatMap((a, index) => (a.status === AlertStatus.Active ? [index] : []));
        if (active.length === 0) return;
        const index = pick(next, active);
        const acknowledged = alerts.map((a, i) => (i === index ? { ...a, status: AlertStatus.Acknowledged } : a));
        expect(scoreOf(acknowledged)).toBeGreaterThanOrEqual(scoreOf(alerts));
      });
    });

    it('does not depend on the order of the alerts', () => {
      forAllAlertSets((alerts) => {
        expect(scoreOf([...alerts].reverse())).toBe(scoreOf(alerts));
      });
    });
  });
});
