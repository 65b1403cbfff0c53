import type { ProblemResolution, RemoteProblem } from '../monitor-provider';
import { expectArray, expectObject, expectString } from './zabbix-mapping';
import type { CallContext, ZabbixCaller } from './zabbix-caller';

/** Ids per problem.get / trigger.get / event.get call. */
const ID_BATCH = 1_000;
/** event.acknowledge's action flags: 2 acknowledge, 4 add a message. */
const ACKNOWLEDGE_WITH_MESSAGE = 2 | 4;
/** Zabbix event source 0 (triggers) and object 0 (a trigger): the problems triggers raise. */
const TRIGGER_EVENTS = { source: 0, object: 0 };

interface TriggerLinks {
  hostId: string | null;
  itemId: string | null;
}

/**
 * The open problems of the monitor's triggers, each with the host and item of its trigger (the first of each: a
 * trigger on one item, the usual case, names exactly one). problem.get cannot select hosts, so trigger.get does.
 */
export async function listProblems(caller: ZabbixCaller, ctx: CallContext): Promise<RemoteProblem[]> {
  const raw = expectArray(
    await caller.call(ctx, 'problem.get', {
      output: ['eventid', 'objectid', 'name', 'severity', 'acknowledged', 'clock'],
      ...TRIGGER_EVENTS,
      recent: false,
    }),
    'problem.get',
  );
  const problems = raw.map((entry, index) => {
    const what = `problem ${index}`;
    const problem = expectObject(entry, 'problem.get', what);
    const field = (name: string) => expectString(problem, name, 'problem.get', what);
    return {
      eventId: field('eventid'),
      triggerId: field('objectid'),
      name: field('name'),
      severity: Number(field('severity')),
      acknowledged: field('acknowledged') === '1',
      clock: new Date(Number(field('clock')) * 1000),
    };
  });
  const links = await triggerLinks(caller, ctx, [...new Set(problems.map((problem) => problem.triggerId))]);
  return problems.map(({ triggerId, ...problem }) => {
    const link = links.get(triggerId);
    return { ...problem, externalHostId: link?.hostId ?? null, externalItemId: link?.itemId ?? null };
  });
}

async function triggerLinks(caller: ZabbixCaller, ctx: CallContext, ids: string[]): Promise<Map<string, TriggerLinks>> {
  const links = new Map<string, TriggerLinks>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const triggers = expectArray(
      await caller.call(ctx, 'trigger.get', {
        triggerids: ids.slice(i, i + ID_BATCH),
        output: ['triggerid'],
        selectHosts: ['hostid'],
        selectItems: ['itemid'],
      }),
      'trigger.get',
    );
    triggers.forEach((entry, index) => {
      const trigger = expectObject(entry, 'trigger.get', `trigger ${index}`);
      links.set(expectString(trigger, 'triggerid', 'trigger.get', `trigger ${index}`), {
        hostId: firstId(trigger.hosts, 'hostid'),
        itemId: firstId(trigger.items, 'itemid'),
      });
    });
  }
  return links;
}

function firstId(list: unknown, field: string): string | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  const id = (list[0] as Record<string, unknown> | null)?.[field];
  return typeof id === 'string' ? id : null;
}

/**
 * What became of the given problem events: `resolvedAt` once Zabbix closed them (the recovery event's time), null
 * while still open. An event Zabbix no longer has (removed by its housekeeper) counts as resolved now.
 */
export async function problemResolutions(
  caller: ZabbixCaller,
  ctx: CallContext,
  eventIds: string[],
): Promise<ProblemResolution[]> {
  const recoveryOf = new Map<string, string>();
  for (let i = 0; i < eventIds.length; i += ID_BATCH) {
    for (const event of await getEvents(caller, ctx, eventIds.slice(i, i + ID_BATCH), ['eventid', 'r_eventid'])) {
      recoveryOf.set(event.eventid, event.r_eventid);
    }
  }
  const recoveries = [...recoveryOf.values()].filter((id) => id !== '0');
  const clockOf = new Map<string, Date>();
  for (let i = 0; i < recoveries.length; i += ID_BATCH) {
    for (const event of await getEvents(caller, ctx, recoveries.slice(i, i + ID_BATCH), ['eventid', 'clock'])) {
      clockOf.set(event.eventid, new Date(Number(event.clock) * 1000));
    }
  }
  const now = new Date();
  return eventIds.map((eventId) => {
    const recovery = recoveryOf.get(eventId);
    if (recovery === undefined) return { eventId, resolvedAt: now };
    if (recovery === '0') return { eventId, resolvedAt: null };
    return { eventId, resolvedAt: clockOf.get(recovery) ?? now };
  });
}

async function getEvents(
  caller: ZabbixCaller,
  ctx: CallContext,
  eventids: string[],
  output: string[],
): Promise<Record<string, string>[]> {
  const events = expectArray(await caller.call(ctx, 'event.get', { eventids, output }), 'event.get');
  return events.map((entry, index) => {
    const event = expectObject(entry, 'event.get', `event ${index}`);
    return Object.fromEntries(output.map((name) => [name, expectString(event, name, 'event.get', `event ${index}`)]));
  });
}

/** Acknowledges the problem on Zabbix with a message (event.acknowledge, action 2 + 4). */
export async function acknowledgeProblem(
  caller: ZabbixCaller,
  ctx: CallContext,
  eventId: string,
  message: string,
): Promise<void> {
  await caller.call(ctx, 'event.acknowledge', { eventids: [eventId], action: ACKNOWLEDGE_WITH_MESSAGE, message });
}
