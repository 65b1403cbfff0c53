import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/*
 * The webhook script of deploy/zabbix/nagare-media-type.json, run as Zabbix runs it (a function of `value`, the
 * parameters as JSON) with a stand-in for Zabbix's HttpRequest, to pin how it turns Zabbix's local dates and times
 * into `clock` and `as_of`. The contract suites run the same file on real Zabbix 6.0 and 7.0 servers.
 */
const MEDIA_TYPE = JSON.parse(readFileSync(join(process.cwd(), 'deploy', 'zabbix', 'nagare-media-type.json'), 'utf8'));
const SCRIPT: string = MEDIA_TYPE.zabbix_export.media_types[0].script;
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

/** A user's offset east of UTC, in minutes: fixed, or by the instant (a zone with summer time). */
type Zone = number | ((utcMs: number) => number);

/** Zabbix's {DATE} and {TIME} of a UTC instant, as a user in `zone` sees it. */
function local(utcMs: number, zone: Zone): { date: string; time: string } {
  const offsetMinutes = typeof zone === 'number' ? zone : zone(utcMs);
  const iso = new Date(utcMs + offsetMinutes * 60_000).toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, '.'), time: iso.slice(11, 19) };
}

/** Zabbix 6.0's {EVENT.AGE} of an event `seconds` old when its alert was made: `1d 2h 3m 4s`, leading zeros left out. */
function age(seconds: number): string {
  const [d, h, m, s] = [
    Math.floor(seconds / 86400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  return `${d ? `${d}d ` : ''}${d || h ? `${h}h ` : ''}${d || h || m ? `${m}m ` : ''}${s}s`;
}

/**
 * The body the script posts, for an event `ago` seconds old, its alert made `madeAgo` seconds before the run.
 * `eventAge` replaces the {EVENT.AGE} Zabbix would send.
 */
function posted(options: {
  offsetMinutes: Zone;
  ago: number;
  madeAgo?: number;
  kind?: 'problem' | 'update' | 'recovery';
  eventAge?: string;
}) {
  const { offsetMinutes, ago, madeAgo = 2, kind = 'problem' } = options;
  const event = local(NOW - ago * 1000, offsetMinutes);
  const made = local(NOW - madeAgo * 1000, offsetMinutes);
  const params = {
    event_id: '42',
    event_value: kind === 'recovery' ? '0' : '1',
    event_update: kind === 'update' ? '1' : '0',
    event_name: 'High CPU',
    event_nseverity: '4',
    event_ack_status: 'No',
    date: made.date,
    time: made.time,
    event_age: options.eventAge ?? age(ago - madeAgo),
    event_date: kind === 'recovery' ? local(NOW - 3_600_000, offsetMinutes).date : event.date,
    event_time: kind === 'recovery' ? local(NOW - 3_600_000, offsetMinutes).time : event.time,
    event_recovery_date: kind === 'recovery' ? event.date : '{EVENT.RECOVERY.DATE}',
    event_recovery_time: kind === 'recovery' ? event.time : '{EVENT.RECOVERY.TIME}',
    host_id: '10501',
    item_id: '{ITEM.ID}',
    token: 'nge_x',
    url: 'http://127.0.0.1/api/v1/monitors/1/events',
  };
  const sent: string[] = [];
  class HttpRequest {
    addHeader() {}
    post(_url: string, body: string) {
      sent.push(body);
      return '{}';
    }
    getStatus() {
      return 200;
    }
  }
  class FixedDate extends Date {
    static override now() {
      return NOW;
    }
  }
  const result = runInNewContext(`(function (value) {\n${SCRIPT}\n})(value)`, {
    value: JSON.stringify(params),
    HttpRequest,
    Date: FixedDate,
  });
  expect(result).toBe('OK');
  return JSON.parse(sent[0]) as Record<string, unknown>;
}

describe('the media type script', () => {
  const seconds = (ms: number) => Math.floor(ms / 1000);

  it.each([
    ['UTC', 0],
    ['India (+05:30)', 330],
    ['Nepal (+05:45)', 345],
    ['São Paulo (-03:00)', -180],
    ['the date line (+14:00)', 840],
  ])('sends when a problem began, whatever the media user’s time zone: %s', (_zone, offsetMinutes) => {
    expect(posted({ offsetMinutes, ago: 600 })).toEqual({
      event_id: '42',
      kind: 'problem',
      name: 'High CPU',
      severity: 4,
      acknowledged: false,
      clock: seconds(NOW) - 600,
      as_of: seconds(NOW) - 2,
      host_id: '10501',
    });
  });

  it('sends, with an update, when Zabbix made its alert: what it says of the acknowledgement is as of then', () => {
    expect(posted({ offsetMinutes: 330, ago: 3_600, madeAgo: 20, kind: 'update' })).toMatchObject({
      kind: 'update',
      acknowledged: false,
      clock: seconds(NOW) - 3_600,
      as_of: seconds(NOW) - 20,
    });
  });

  describe('a problem older than a change to summer time or back', () => {
    /** Central Europe: summer time (+02:00) ended two hours before the run (+01:00 since). */
    const autumn: Zone = (utcMs) => (utcMs < NOW - 2 * 3_600_000 ? 120 : 60);
    /** The other way: summer time began an hour before the run. */
    const spring: Zone = (utcMs) => (utcMs < NOW - 3_600_000 ? 60 : 120);

    it.each([
      ['summer time ended since', autumn],
      ['summer time began since', spring],
    ])('sends when it began, to the second, read in the offset of its own date (%s)', (_change, zone) => {
      expect(posted({ offsetMinutes: zone, ago: 3 * 3_600 + 17, madeAgo: 20, kind: 'update' })).toMatchObject({
        clock: seconds(NOW) - 3 * 3_600 - 17,
        as_of: seconds(NOW) - 20,
      });
    });

    it('reads an age given to the minute only, as earlier Zabbix versions give it', () => {
      expect(posted({ offsetMinutes: autumn, ago: 3 * 3_600 + 50, madeAgo: 2, eventAge: '3h 0m' })).toMatchObject({
        clock: seconds(NOW) - 3 * 3_600 - 50,
      });
      expect(posted({ offsetMinutes: autumn, ago: 2 * 86_400, madeAgo: 2, eventAge: '1d 23h 59m' })).toMatchObject({
        clock: seconds(NOW) - 2 * 86_400,
      });
    });

    it.each([
      ['without {EVENT.AGE} (a media type imported earlier)', undefined],
      ['with an age that fits no zone', '5m 0s'],
    ])('reads it in the offset of the alert’s own date %s', (_case, eventAge) => {
      const params = { offsetMinutes: autumn, ago: 3 * 3_600, madeAgo: 2, kind: 'update' as const };
      const body = posted(eventAge === undefined ? { ...params, eventAge: '{EVENT.AGE}' } : { ...params, eventAge });
      // Shown at +02:00 and read at +01:00: an hour late, as before {EVENT.AGE} was sent.
      expect(body).toMatchObject({ clock: seconds(NOW) - 3 * 3_600 + 3_600, as_of: seconds(NOW) - 2 });
    });
  });

  it('sends when a recovery happened, from the recovery’s date and time', () => {
    expect(posted({ offsetMinutes: 60, ago: 30, kind: 'recovery' })).toEqual({
      event_id: '42',
      kind: 'recovery',
      clock: seconds(NOW) - 30,
      as_of: seconds(NOW) - 2,
      host_id: '10501',
    });
  });

  it('sends no clock and no as_of when it runs more than 5 min after the alert was made: the zone cannot be told', () => {
    expect(posted({ offsetMinutes: 0, ago: 900, madeAgo: 240 })).toMatchObject({
      clock: seconds(NOW) - 900,
      as_of: seconds(NOW) - 240,
    });
    const late = posted({ offsetMinutes: 0, ago: 900, madeAgo: 400 });
    expect(late).not.toHaveProperty('clock');
    expect(late).not.toHaveProperty('as_of');
  });
});
