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

/** Zabbix's {DATE} and {TIME} of a UTC instant, as a user `offsetMinutes` east of UTC sees it. */
function local(utcMs: number, offsetMinutes: number): { date: string; time: string } {
  const iso = new Date(utcMs + offsetMinutes * 60_000).toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, '.'), time: iso.slice(11, 19) };
}

/** The body the script posts, for an event `ago` seconds old, its alert made `madeAgo` seconds before the run. */
function posted(options: {
  offsetMinutes: number;
  ago: number;
  madeAgo?: number;
  kind?: 'problem' | 'update' | 'recovery';
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
