import type { Alert } from '../entities/alert.entity';
import { AlertSeverity, AlertStatus } from '../entities/alert-levels';
import { alertSeverityOf, changesFor, problemMessage, type ProblemState } from './problem-state';

const state = (overrides: Partial<ProblemState> = {}): ProblemState => ({
  eventId: '42',
  message: 'High CPU',
  severity: AlertSeverity.Critical,
  acknowledged: false,
  startedAt: new Date(0),
  hostId: 1,
  itemId: 2,
  observedAt: new Date('2026-12-07T12:00:00Z'),
  ...overrides,
});
const alert = (overrides: Partial<Alert> = {}) =>
  ({
    message: 'High CPU',
    severity: AlertSeverity.Critical,
    status: AlertStatus.Active,
    hostId: 1,
    itemId: 2,
    ...overrides,
  }) as Alert;

describe('problem state', () => {
  it('maps Zabbix severities 0–1 to info, 2–3 to warning, 4 to critical and 5 to disaster', () => {
    expect([0, 1, 2, 3, 4, 5].map(alertSeverityOf)).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it('cuts a problem name to the 1024 characters an alert keeps', () => {
    expect(problemMessage('x'.repeat(2000))).toHaveLength(1024);
    expect(problemMessage('short')).toBe('short');
  });

  it('changes nothing on an alert that shows the problem as it is', () => {
    expect(changesFor(alert(), state(), new Date())).toBeNull();
  });

  it('follows the name, severity, host and item of the problem', () => {
    const changes = changesFor(
      alert(),
      state({ message: 'Renamed', severity: 3, hostId: null, itemId: null }),
      new Date(),
    );
    expect(changes).toEqual({ message: 'Renamed', severity: 3, hostId: null, itemId: null });
  });

  it('acknowledges an active alert acknowledged on Zabbix, by no Nagare user', () => {
    const now = new Date();
    expect(changesFor(alert(), state({ acknowledged: true }), now)).toEqual({
      status: AlertStatus.Acknowledged,
      acknowledgedAt: now,
      acknowledgedBy: null,
    });
  });

  it('keeps an acknowledgement made in Nagare that Zabbix has not seen yet', () => {
    const acknowledgedHere = alert({ status: AlertStatus.Acknowledged, acknowledgedBy: 'admin' });
    expect(changesFor(acknowledgedHere, state({ acknowledged: false }), new Date())).toBeNull();
  });

  it('keeps it too when it was sent to Zabbix after the state was observed (a pull that asked before)', () => {
    const sentAfter = alert({
      status: AlertStatus.Acknowledged,
      acknowledgedBy: 'admin',
      acknowledgementSentAt: new Date('2026-12-07T12:00:01Z'),
    });
    expect(changesFor(sentAfter, state({ acknowledged: false }), new Date())).toBeNull();
  });

  it('makes an alert acknowledged in Nagare active again when Zabbix undid it after it was sent', () => {
    const sentBefore = alert({
      status: AlertStatus.Acknowledged,
      acknowledgedBy: 'admin',
      acknowledgedAt: new Date('2026-12-07T11:58:00Z'),
      acknowledgementSentAt: new Date('2026-12-07T11:59:00Z'),
    });
    expect(changesFor(sentBefore, state({ acknowledged: false }), new Date())).toEqual({
      status: AlertStatus.Active,
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgementSentAt: null,
    });
    expect(changesFor(sentBefore, state({ acknowledged: true }), new Date())).toBeNull();
  });

  it('makes an alert acknowledged on Zabbix active again when Zabbix undoes the acknowledgement', () => {
    const acknowledgedThere = alert({
      status: AlertStatus.Acknowledged,
      acknowledgedBy: null,
      acknowledgedAt: new Date(),
    });
    expect(changesFor(acknowledgedThere, state({ acknowledged: false }), new Date())).toEqual({
      status: AlertStatus.Active,
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgementSentAt: null,
    });
    expect(changesFor(acknowledgedThere, state({ acknowledged: true }), new Date())).toBeNull();
  });

  it('leaves the acknowledgement alone when the source did not say (an event without the field)', () => {
    const acknowledgedThere = alert({ status: AlertStatus.Acknowledged, acknowledgedBy: null });
    expect(changesFor(acknowledgedThere, state({ acknowledged: undefined }), new Date())).toBeNull();
    expect(changesFor(alert(), state({ acknowledged: undefined }), new Date())).toBeNull();
  });

  it('never reopens a resolved alert', () => {
    expect(changesFor(alert({ status: AlertStatus.Resolved }), state({ message: 'Again' }), new Date())).toBeNull();
  });
});
