import { randomBytes } from 'node:crypto';
import { type ZabbixApi } from './zabbix';
import { sendValues, type SenderReply } from './zabbix-sender';

/** A problem event as problem.get answers it. */
export interface ZabbixProblem {
  eventid: string;
  name: string;
  severity: string;
  acknowledged: string;
  r_eventid: string;
  /** When the problem began, UNIX seconds. */
  clock: string;
}

/**
 * What a problem needs on a real Zabbix, under this run's own names: a host group, a host with no interface and a
 * trapper item, a trigger `last(...)>5` of priority 4, and a Zabbix user (Admin role) that may see and write only
 * that group, so a monitor logged in as it sees exactly this run's problems whatever else the server holds.
 * `remove()` deletes all of it.
 */
export class ZabbixProblemFixture {
  groupId = '';
  hostId = '';
  itemId = '';
  triggerId = '';
  userGroupId = '';
  userId = '';
  readonly host: string;
  readonly key: string;
  readonly triggerName: string;
  readonly user = { username: '', password: `Ng-${randomBytes(9).toString('hex')}` };

  constructor(
    private readonly api: ZabbixApi,
    readonly run: string,
  ) {
    this.host = `nagare-alerts-${run}`;
    this.key = `nagare.alerts[${run}]`;
    this.triggerName = `Nagare alerts ${run} above 5`;
    this.user.username = `nagare-alerts-${run}`;
  }

  async create(): Promise<void> {
    const group = await this.api.call<{ groupids: string[] }>('hostgroup.create', {
      name: `Nagare alerts ${this.run}`,
    });
    this.groupId = group.groupids[0];
    const host = await this.api.call<{ hostids: string[] }>('host.create', {
      host: this.host,
      groups: [{ groupid: this.groupId }],
    });
    this.hostId = host.hostids[0];
    const item = await this.api.call<{ itemids: string[] }>('item.create', {
      hostid: this.hostId,
      name: 'Nagare alerts trapper value',
      key_: this.key,
      type: 2, // Zabbix trapper
      value_type: 3, // unsigned integer
    });
    this.itemId = item.itemids[0];
    const trigger = await this.api.call<{ triggerids: string[] }>('trigger.create', {
      description: this.triggerName,
      expression: `last(/${this.host}/${this.key})>5`,
      priority: 4,
    });
    this.triggerId = trigger.triggerids[0];
    await this.createUser();
  }

  private async createUser(): Promise<void> {
    const [major, minor] = this.api.version.split('.').map(Number);
    // 6.2 renamed the user group's host group permissions from `rights` to `hostgroup_rights`.
    const rightsParam = major > 6 || (major === 6 && minor >= 2) ? 'hostgroup_rights' : 'rights';
    const { usrgrpids } = await this.api.call<{ usrgrpids: string[] }>('usergroup.create', {
      name: `Nagare alerts ${this.run}`,
      [rightsParam]: [{ id: this.groupId, permission: 3 }],
    });
    this.userGroupId = usrgrpids[0];
    const [{ roleid }] = await this.api.call<{ roleid: string }[]>('role.get', {
      output: ['roleid'],
      filter: { type: 2 },
      sortfield: 'roleid',
      limit: 1,
    });
    const { userids } = await this.api.call<{ userids: string[] }>('user.create', {
      username: this.user.username,
      passwd: this.user.password,
      roleid,
      usrgrps: [{ usrgrpid: this.userGroupId }],
    });
    this.userId = userids[0];
  }

  /** Sends a value to the trapper item. */
  send(trapperPort: number, value: number): Promise<SenderReply> {
    return sendValues(trapperPort, [{ host: this.host, key: this.key, value }]);
  }

  /** The trigger's open problems. */
  openProblems(): Promise<ZabbixProblem[]> {
    return this.api.call<ZabbixProblem[]>('problem.get', {
      objectids: [this.triggerId],
      output: ['eventid', 'name', 'severity', 'acknowledged', 'r_eventid', 'clock'],
      recent: false,
    });
  }

  /** When Zabbix closed the problem of `eventId` (its recovery event's clock, UNIX seconds); undefined while open. */
  async recoveredAt(eventId: string): Promise<number | undefined> {
    const [problem] = await this.api.call<{ r_eventid: string }[]>('event.get', {
      eventids: [eventId],
      output: ['r_eventid'],
    });
    if (!problem || problem.r_eventid === '0') return undefined;
    const [recovery] = await this.api.call<{ clock: string }[]>('event.get', {
      eventids: [problem.r_eventid],
      output: ['clock'],
    });
    return Number(recovery.clock);
  }

  /** Deletes everything `create` made (the host takes its item and trigger); returns what is left of it. */
  async remove(): Promise<{ hosts: unknown[]; users: unknown[] }> {
    if (this.userId) await this.api.call('user.delete', [this.userId]);
    if (this.userGroupId) await this.api.call('usergroup.delete', [this.userGroupId]);
    if (this.hostId) await this.api.call('host.delete', [this.hostId]);
    if (this.groupId) await this.api.call('hostgroup.delete', [this.groupId]);
    const hosts = await this.api.call<unknown[]>('host.get', { filter: { host: [this.host] }, output: ['hostid'] });
    const users = await this.api.call<unknown[]>('user.get', {
      filter: { username: [this.user.username] },
      output: ['userid'],
    });
    return { hosts, users };
  }
}
