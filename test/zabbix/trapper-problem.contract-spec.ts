import { describeZabbix, eventually, runId, ZabbixApi } from '../support/zabbix';
import { sendValues } from '../support/zabbix-sender';

/*
 * zabbix_server itself, not only the API: a value sent to the trapper raises a problem through a trigger and a
 * lower one resolves it (the ground the "real problems become alerts" work stands on). The host has no
 * interface, so a server that polled would still have nothing to poll. Everything is named after this run and
 * deleted afterwards.
 */
describeZabbix('zabbix_server raises and resolves problems from trapper values (contract)', (env) => {
  const run = runId();
  const host = `nagare-trap-${run}`;
  const key = `nagare.trap[${run}]`;
  let api: ZabbixApi;
  let trapperPort: number;
  const created = { groupId: '', hostId: '', triggerId: '' };

  type Problem = { eventid: string; name: string; severity: string; objectid: string; r_eventid: string };
  const openProblems = () =>
    api.call<Problem[]>('problem.get', { objectids: [created.triggerId], output: 'extend', recent: false });

  beforeAll(async () => {
    if (env.trapperPort === null) {
      throw new Error('ZABBIX_TRAPPER_PORT is not set: the scripts that bring Zabbix up print it beside ZABBIX_URL');
    }
    trapperPort = env.trapperPort;
    api = await ZabbixApi.login(env);
    const group = await api.call<{ groupids: string[] }>('hostgroup.create', { name: `Nagare test ${run}` });
    created.groupId = group.groupids[0];
    const hostResult = await api.call<{ hostids: string[] }>('host.create', {
      host,
      groups: [{ groupid: created.groupId }],
    });
    created.hostId = hostResult.hostids[0];
    await api.call('item.create', {
      hostid: created.hostId,
      name: 'Nagare trapper value',
      key_: key,
      type: 2, // Zabbix trapper
      value_type: 3, // unsigned integer
    });
    const trigger = await api.call<{ triggerids: string[] }>('trigger.create', {
      description: `Nagare trap ${run} above 5`,
      expression: `last(/${host}/${key})>5`,
      priority: 4,
    });
    created.triggerId = trigger.triggerids[0];
  });

  afterAll(async () => {
    if (!api) return;
    // Deleting the host deletes its item and trigger; the group goes once it is empty.
    if (created.hostId) await api.call('host.delete', [created.hostId]);
    if (created.groupId) await api.call('hostgroup.delete', [created.groupId]);
    const left = await api.call<unknown[]>('host.get', { filter: { host: [host] }, output: ['hostid'] });
    await api.close();
    expect(left).toEqual([]);
  });

  it('has a test host with no interface, so nothing is ever polled for it', async () => {
    const [found] = await api.call<{ interfaces: unknown[] }[]>('host.get', {
      hostids: [created.hostId],
      selectInterfaces: ['ip'],
    });
    expect(found.interfaces).toEqual([]);
  });

  it('raises a severity 4 problem for value 9 and resolves it for value 1', async () => {
    // New items and triggers reach the server at its configuration cache refreshes, possibly not the same one: a
    // value taken before the trigger arrived raises nothing, and last() is evaluated only when a value comes in.
    // So 9 is sent again until the problem shows.
    const [problem] = await eventually('a value of 9 to raise a problem', async () => {
      const reply = await sendValues(trapperPort, [{ host, key, value: 9 }]);
      expect(reply).toMatchObject({ response: 'success' });
      if (reply.processed !== 1) return undefined;
      const problems = await openProblems();
      return problems.length > 0 ? problems : undefined;
    });
    expect(problem).toMatchObject({ name: `Nagare trap ${run} above 5`, severity: '4', r_eventid: '0' });

    await expect(sendValues(trapperPort, [{ host, key, value: 1 }])).resolves.toMatchObject({ processed: 1 });
    await eventually('problem.get to show the problem resolved', async () =>
      (await openProblems()).length === 0 ? true : undefined,
    );
    const [event] = await api.call<{ r_eventid: string }[]>('event.get', {
      eventids: [problem.eventid],
      output: ['r_eventid'],
    });
    expect(event.r_eventid).not.toBe('0');
  }, 90_000);
});
