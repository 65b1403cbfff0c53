import { SyncStatus } from '../src/monitors/entities/sync-status';
import {
  type Api,
  apiAs,
  createHost,
  createItem,
  createMonitor,
  type HostJson,
  seeder,
  tokenWithPrivilege,
  unique,
  unreachableUrl,
} from './support/inventory-factory';
import { DocumentedResponses } from './support/documented-responses';
import { describeListEndpoint } from './support/list-endpoint-suite';
import { startTestApp, type TestApp } from './support/test-app';
import { ISO_DATE } from './support/time';
import { ids, messageOf } from './support/http';

describe('hosts (e2e)', () => {
  let t: TestApp;
  let documented: DocumentedResponses;
  let api: Api;
  let seed: ReturnType<typeof seeder>;

  beforeAll(async () => {
    t = await startTestApp();
    documented = await DocumentedResponses.watch(t.http);
    api = apiAs(t, await t.login());
    seed = seeder(t);
  });
  afterAll(() => t.close());

  describe('POST /hosts', () => {
    it('creates a local host (201) with no monitor, in snake_case', async () => {
      const name = `web-${unique()}`;
      const res = await api.post('/hosts', { name });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        name,
        technical_name: null,
        monitor_id: null,
        external_id: null,
        group_id: null,
        group_ids: [],
        ip_addr: null,
        description: '',
        enabled: true,
        status: SyncStatus.Inactive,
        status_description: '',
        last_sync_at: null,
        created_at: expect.stringMatching(ISO_DATE),
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expect((await api.get(`/hosts/${res.body.id}`)).body).toEqual(res.body);
    });

    it('creates a host on a monitor and in a group, with every field', async () => {
      const monitor = await createMonitor(api);
      const group = await seed.group({ monitorId: monitor.id, externalId: '7' });
      const res = await api.post('/hosts', {
        name: 'db-01',
        monitor_id: monitor.id,
        group_id: group.id,
        ip_addr: '127.0.0.12',
        description: 'primary database',
        enabled: false,
      });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'db-01',
        monitor_id: monitor.id,
        external_id: null,
        group_id: group.id,
        ip_addr: '127.0.0.12',
        description: 'primary database',
        enabled: false,
        status: SyncStatus.Inactive,
      });
    });

    it('puts a host in every group of group_ids, the first one as group_id, and takes a technical_name', async () => {
      const [first, second] = [await seed.group(), await seed.group()];
      const res = await api.post('/hosts', {
        name: 'web/01',
        technical_name: 'web_01.prod',
        group_ids: [second.id, first.id],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        technical_name: 'web_01.prod',
        group_id: second.id,
        group_ids: [second.id, first.id],
      });
      expect((await api.get(`/hosts/${res.body.id}`)).body).toEqual(res.body);

      const both = await api.post('/hosts', { name: 'x', group_id: first.id, group_ids: [first.id, second.id] });
      expect(both.status).toBe(201);
      expect(both.body).toMatchObject({ group_id: first.id, group_ids: [first.id, second.id] });
      const disagree = await api.post('/hosts', { name: 'x', group_id: first.id, group_ids: [second.id] });
      expect(disagree.status).toBe(400);
      expect(disagree.body.message).toBe('group_id must be the first of group_ids when both are given');
      const unknownGroup = await api.post('/hosts', { name: 'x', group_ids: [first.id, 999998, 999999] });
      expect(unknownGroup.status).toBe(404);
      expect(unknownGroup.body.message).toBe('Group 999998, 999999 not found');
    });

    it('answers 404 to an unknown monitor_id or group_id, and creates nothing', async () => {
      const before = (await api.get('/hosts')).body.total;
      const monitor = await api.post('/hosts', { name: 'x', monitor_id: 999999 });
      expect(monitor.status).toBe(404);
      expect(monitor.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Monitor 999999 not found' });
      const group = await api.post('/hosts', { name: 'x', group_id: 999999 });
      expect(group.status).toBe(404);
      expect(group.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Group 999999 not found' });
      expect((await api.get('/hosts')).body.total).toBe(before);
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', monitor_id: 'abc' }, 'monitor_id'],
      [{ name: 'x', monitor_id: 0 }, 'monitor_id'],
      [{ name: 'x', group_id: -1 }, 'group_id'],
      [{ name: 'x', group_ids: 3 }, 'group_ids'],
      [{ name: 'x', group_ids: null }, 'group_ids'],
      [{ name: 'x', group_ids: [1, 1] }, 'group_ids'],
      [{ name: 'x', group_ids: [0] }, 'group_ids'],
      [{ name: 'x', technical_name: 'a/b' }, 'technical_name'],
      [{ name: 'x', technical_name: ' padded' }, 'technical_name'],
      [{ name: 'x', technical_name: 'x'.repeat(129) }, 'technical_name'],
      [{ name: 'x', ip_addr: 12 }, 'ip_addr'],
      [{ name: 'x', enabled: 'yes' }, 'enabled'],
      [{ name: 'x', external_id: '1' }, 'property external_id should not exist'],
      [{ name: 'x', status: 1 }, 'property status should not exist'],
    ])('answers 400 to %j naming %s', async (body, named) => {
      const res = await api.post('/hosts', body);
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(named);
    });
  });

  describe('GET /hosts', () => {
    let monitorA: number;
    let monitorB: number;
    let groupId: number;
    /** In the names of this block's hosts, so q can be checked against exactly these. */
    const tag = `q${unique()}`;
    const hosts: Record<string, HostJson | { id: number }> = {};

    beforeAll(async () => {
      monitorA = (await createMonitor(api)).id;
      monitorB = (await createMonitor(api)).id;
      groupId = (await seed.group({ monitorId: monitorA, externalId: '2' })).id;
      hosts.web = await createHost(api, { name: `Web-${tag}-frontend`, monitor_id: monitorA, ip_addr: '127.51.100.7' });
      hosts.grouped = await createHost(api, { name: `db-${tag}-main`, monitor_id: monitorA, group_id: groupId });
      hosts.vanished = await seed.syncedHost(monitorA, {
        name: `old_${tag}_box`,
        status: SyncStatus.Error,
        statusDescription: 'host not found on monitor',
      });
      hosts.other = await seed.syncedHost(monitorB, { name: `web-${tag}-other`, ipAddr: '127.0.113.9' });
    });

    const list = async (query: Record<string, string | number>) => {
      const res = await api.get('/hosts', query);
      expect(res.status).toBe(200);
      return res;
    };

    describeListEndpoint('GET /hosts', {
      list: (query) => api.get('/hosts', query),
      seed: async () => ({ query: { monitor_id: monitorA }, ids: [hosts.web.id, hosts.grouped.id, hosts.vanished.id] }),
      refused: [
        [{ monitor_id: 'abc' }, 'monitor_id'],
        [{ group_id: '0' }, 'group_id'],
        [{ status: '4' }, 'status'],
        [{ limit: '1000' }, 'limit'],
      ],
    });

    it('filters by group_id', async () => {
      expect(ids(await list({ group_id: groupId }))).toEqual([hosts.grouped.id]);
    });

    it('filters by status', async () => {
      const res = await list({ monitor_id: monitorA, status: SyncStatus.Error });
      expect(ids(res)).toEqual([hosts.vanished.id]);
      expect(res.body.items[0]).toMatchObject({ status: 2, status_description: 'host not found on monitor' });
    });

    it('matches q against the name, case-insensitively, across monitors', async () => {
      expect(ids(await list({ q: `WEB-${tag.toUpperCase()}` }))).toEqual([hosts.web.id, hosts.other.id]);
    });

    it('matches q against the IP address', async () => {
      expect(ids(await list({ q: '127.51.100' }))).toEqual([hosts.web.id]);
      expect(ids(await list({ q: '127.0.113.9', monitor_id: monitorB }))).toEqual([hosts.other.id]);
    });

    it('matches q against the technical name', async () => {
      const technical = await createHost(api, { name: `Visible ${unique()}`, technical_name: `agent-${tag}-x1` });
      expect(ids(await list({ q: `AGENT-${tag}` }))).toEqual([technical.id]);
    });

    it('finds a host by any of its groups', async () => {
      const [a, b] = [await seed.group(), await seed.group()];
      const inBoth = await createHost(api, { group_ids: [a.id, b.id] });
      const inB = await createHost(api, { group_ids: [b.id] });
      expect(ids(await list({ group_id: a.id }))).toEqual([inBoth.id]);
      expect(ids(await list({ group_id: b.id }))).toEqual([inBoth.id, inB.id]);
      expect((await list({ group_id: b.id })).body.items[0]).toMatchObject({ group_id: a.id, group_ids: [a.id, b.id] });
    });

    it('takes _ in q literally', async () => {
      // Unescaped, "_" would also match the "-" of the other names; literally it matches only "old_…_box".
      expect(ids(await list({ q: `_${tag}_` }))).toEqual([hosts.vanished.id]);
    });

    describe('GET /monitors/:id/hosts', () => {
      it("answers a page of that monitor's hosts only", async () => {
        const res = await api.get(`/monitors/${monitorB}/hosts`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          items: [
            expect.objectContaining({ id: hosts.other.id, monitor_id: monitorB, external_id: expect.any(String) }),
          ],
          total: 1,
          limit: 50,
          offset: 0,
        });
      });

      describeListEndpoint('GET /monitors/:id/hosts', {
        list: (query) => api.get(`/monitors/${monitorA}/hosts`, query),
        seed: async () => ({ query: {}, ids: [hosts.web.id, hosts.grouped.id, hosts.vanished.id] }),
      });

      it('filters them as GET /hosts does, the monitor taken from the path', async () => {
        const ofA = async (query: Record<string, string | number>) => {
          const res = await api.get(`/monitors/${monitorA}/hosts`, query);
          expect(res.status).toBe(200);
          return res;
        };
        expect(ids(await ofA({ status: SyncStatus.Error }))).toEqual([hosts.vanished.id]);
        // The other monitor's web host matches the name too: a filter never reaches beyond the path's monitor.
        expect(ids(await ofA({ q: `WEB-${tag.toUpperCase()}` }))).toEqual([hosts.web.id]);
        for (const [query, named] of [
          [{ monitor_id: monitorB }, 'property monitor_id should not exist'],
          [{ group_id: 0 }, 'group_id'],
          [{ status: 9 }, 'status'],
        ] as const) {
          const bad = await api.get(`/monitors/${monitorA}/hosts`, query);
          expect(bad.status).toBe(400);
          expect(messageOf(bad)).toContain(named);
        }
      });

      it('answers 404 to an unknown monitor and 400 to a bad id', async () => {
        const unknown = await api.get('/monitors/999999/hosts');
        expect(unknown.status).toBe(404);
        expect(unknown.body.message).toBe('Monitor 999999 not found');
        expect((await api.get('/monitors/abc/hosts')).status).toBe(400);
        expect((await api.get(`/monitors/${monitorA}/hosts`, { limit: 0 })).status).toBe(400);
      });
    });
  });

  describe('GET/PATCH/DELETE /hosts/:id', () => {
    it('answers 404 to an unknown host and 400 to ids that are not positive integers', async () => {
      const res = await api.get('/hosts/999999');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Host 999999 not found' });
      for (const id of ['abc', '-1', '0']) {
        const bad = await api.get(`/hosts/${id}`);
        expect(bad.status).toBe(400);
        expect(bad.body.message).toBe('id must be a positive integer');
      }
    });

    it('changes the fields it is given and keeps the others', async () => {
      const host = await createHost(api, { ip_addr: '127.1.1.1', description: 'before' });
      const group = await seed.group();
      const res = await api.patch(`/hosts/${host.id}`, {
        name: 'renamed',
        group_id: group.id,
        description: 'after',
        enabled: false,
      });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...host,
        name: 'renamed',
        group_id: group.id,
        group_ids: [group.id],
        description: 'after',
        enabled: false,
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expect((await api.get(`/hosts/${host.id}`)).body).toEqual(res.body);
    });

    it('replaces the groups with group_ids or with the one group_id, and sets the technical name', async () => {
      const [a, b, c] = [await seed.group(), await seed.group(), await seed.group()];
      const host = await createHost(api, { group_ids: [a.id, b.id] });
      const regrouped = await api.patch(`/hosts/${host.id}`, { group_ids: [c.id, a.id], technical_name: 'node-7' });
      expect(regrouped.status).toBe(200);
      expect(regrouped.body).toMatchObject({ group_id: c.id, group_ids: [c.id, a.id], technical_name: 'node-7' });

      const renamed = await api.patch(`/hosts/${host.id}`, { name: 'kept groups' });
      expect(renamed.body).toMatchObject({ group_id: c.id, group_ids: [c.id, a.id], technical_name: 'node-7' });
      const single = await api.patch(`/hosts/${host.id}`, { group_id: b.id, technical_name: null });
      expect(single.body).toMatchObject({ group_id: b.id, group_ids: [b.id], technical_name: null });
      const none = await api.patch(`/hosts/${host.id}`, { group_ids: [] });
      expect(none.body).toMatchObject({ group_id: null, group_ids: [] });
      expect((await api.get(`/hosts/${host.id}`)).body).toEqual(none.body);
    });

    it('clears external_id when the host moves to another monitor, and keeps it otherwise', async () => {
      const [from, to] = [await createMonitor(api), await createMonitor(api)];
      const synced = await seed.syncedHost(from.id);

      const stay = await api.patch(`/hosts/${synced.id}`, { monitor_id: from.id, name: 'same monitor' });
      expect(stay.status).toBe(200);
      expect(stay.body).toMatchObject({ monitor_id: from.id, external_id: synced.externalId });

      const moved = await api.patch(`/hosts/${synced.id}`, { monitor_id: to.id });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ monitor_id: to.id, external_id: null, name: 'same monitor' });
    });

    it('answers 404 to an unknown host, monitor or group, and changes nothing', async () => {
      const host = await createHost(api);
      expect((await api.patch('/hosts/999999', { name: 'x' })).status).toBe(404);
      const monitor = await api.patch(`/hosts/${host.id}`, { name: 'changed', monitor_id: 999999 });
      expect(monitor.status).toBe(404);
      expect(monitor.body.message).toBe('Monitor 999999 not found');
      const group = await api.patch(`/hosts/${host.id}`, { name: 'changed', group_id: 999999 });
      expect(group.status).toBe(404);
      expect(group.body.message).toBe('Group 999999 not found');
      expect((await api.get(`/hosts/${host.id}`)).body).toEqual(host);
    });

    it('answers 400 to a bad change', async () => {
      const host = await createHost(api);
      expect((await api.patch(`/hosts/${host.id}`, { name: '' })).status).toBe(400);
      const unknown = await api.patch(`/hosts/${host.id}`, { external_id: '42' });
      expect(unknown.status).toBe(400);
      expect(messageOf(unknown)).toContain('property external_id should not exist');
    });

    it.each(['name', 'description', 'enabled'])(
      'answers 400 naming %s when it is sent as null, and changes nothing',
      async (field) => {
        const host = await createHost(api, { description: 'kept' });
        const res = await api.patch(`/hosts/${host.id}`, { [field]: null });
        expect(res.status).toBe(400);
        expect(messageOf(res)).toContain(field);
        expect((await api.get(`/hosts/${host.id}`)).body).toEqual(host);
      },
    );

    it('takes null monitor_id, group_id and ip_addr as none: detached, ungrouped, without address', async () => {
      const monitor = await createMonitor(api);
      const synced = await seed.syncedHost(monitor.id, { groupId: (await seed.group()).id, ipAddr: '127.2.2.2' });

      const res = await api.patch(`/hosts/${synced.id}`, { monitor_id: null, group_id: null, ip_addr: null });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ monitor_id: null, external_id: null, group_id: null, ip_addr: null });
      expect((await api.post('/hosts', { name: 'none', monitor_id: null, group_id: null })).status).toBe(201);
    });

    it('deletes a host (204) with its items, then answers 404', async () => {
      const host = await createHost(api);
      const local = await createItem(api, host.id);
      const synced = await seed.syncedItem(await seed.hosts.findOneByOrFail({ id: host.id }));
      const bystander = await createItem(api, (await createHost(api)).id);

      const res = await api.delete(`/hosts/${host.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expect((await api.get(`/hosts/${host.id}`)).status).toBe(404);
      expect((await api.delete(`/hosts/${host.id}`)).status).toBe(404);
      expect((await api.get(`/items/${local.id}`)).status).toBe(404);
      expect((await api.get(`/items/${synced.id}`)).status).toBe(404);
      expect(await seed.items.countBy({ hostId: host.id })).toBe(0);
      expect((await api.get(`/items/${bystander.id}`)).status).toBe(200);
    });
  });

  describe('GET /groups', () => {
    it('lists the host groups with their monitor and external id', async () => {
      const monitor = await createMonitor(api);
      const group = await seed.group({ name: 'Linux servers', monitorId: monitor.id, externalId: '2' });
      const local = await seed.group({ name: 'Local only' });

      const res = await api.get('/groups');

      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.any(Array));
      expect(res.body).toContainEqual({
        id: group.id,
        name: 'Linux servers',
        monitor_id: monitor.id,
        external_id: '2',
      });
      expect(res.body).toContainEqual({ id: local.id, name: 'Local only', monitor_id: null, external_id: null });
    });
  });

  describe('sync endpoints with a host that is not on the monitor in the path', () => {
    let monitorOne: number;
    let hostOfTwo: number;
    let itemOfTwo: number;

    beforeAll(async () => {
      // Both monitors are unreachable: a 404 must come before any call to the monitor.
      monitorOne = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const monitorTwo = (await createMonitor(api, { url: await unreachableUrl() })).id;
      const host = await seed.syncedHost(monitorTwo);
      hostOfTwo = host.id;
      itemOfTwo = (await seed.syncedItem(host)).id;
    });

    const expectNotFound = async (path: string) => {
      const res = await api.post(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      // No call reached the monitor, so it was not put in error.
      expect((await api.get(`/monitors/${monitorOne}`)).body.status).toBe(SyncStatus.Inactive);
    };

    it('answers 404 to the pull endpoints', async () => {
      await expectNotFound(`/monitors/${monitorOne}/hosts/${hostOfTwo}/pull`);
      await expectNotFound(`/monitors/${monitorOne}/hosts/${hostOfTwo}/items/pull`);
      await expectNotFound(`/monitors/${monitorOne}/hosts/${hostOfTwo}/items/${itemOfTwo}/pull`);
    });

    it('answers 404 to the push endpoints', async () => {
      await expectNotFound(`/monitors/${monitorOne}/hosts/${hostOfTwo}/push`);
      await expectNotFound(`/monitors/${monitorOne}/hosts/${hostOfTwo}/items/${itemOfTwo}/push`);
    });

    it('answers 404 to an unknown monitor or host', async () => {
      await expectNotFound(`/monitors/999999/hosts/${hostOfTwo}/pull`);
      await expectNotFound(`/monitors/999999/hosts/pull`);
      await expectNotFound(`/monitors/${monitorOne}/hosts/999999/pull`);
    });

    it.each([
      ['/monitors/abc/hosts/pull', 'id'],
      ['/monitors/abc/hosts/1/pull', 'id'],
      ['/monitors/1/hosts/x/pull', 'hid'],
      ['/monitors/1/hosts/-1/push', 'hid'],
      ['/monitors/1/hosts/abc/items/pull', 'hid'],
      ['/monitors/1/hosts/0/items/pull', 'hid'],
      ['/monitors/1/hosts/1/items/y/pull', 'iid'],
      ['/monitors/1/hosts/1/items/1.5/push', 'iid'],
    ])('answers 400 to POST %s naming %s', async (path, name) => {
      const res = await api.post(path);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(`${name} must be a positive integer`);
    });
  });

  describe('privileges', () => {
    let reader: Api;
    let writer: Api;
    let host: HostJson;
    let monitorId: number;

    beforeAll(async () => {
      reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      writer = apiAs(t, await tokenWithPrivilege(t, api, 2));
      monitorId = (await createMonitor(api)).id;
      host = await createHost(api, { monitor_id: monitorId });
    });

    it('lets a privilege-1 user read hosts and groups', async () => {
      for (const path of ['/hosts', `/hosts/${host.id}`, `/monitors/${monitorId}/hosts`, '/groups']) {
        const res = await reader.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
    });

    it('answers 403 to every host write by a privilege-1 user, and changes nothing', async () => {
      const attempts = [
        await reader.post('/hosts', { name: 'by a reader' }),
        await reader.patch(`/hosts/${host.id}`, { name: 'by a reader' }),
        await reader.delete(`/hosts/${host.id}`),
        await reader.post(`/monitors/${monitorId}/hosts/pull`),
        await reader.post(`/monitors/${monitorId}/hosts/${host.id}/push`),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      expect((await api.get(`/hosts/${host.id}`)).body).toEqual(host);
    });

    it('lets a privilege-2 user create, change and delete a host', async () => {
      const res = await writer.post('/hosts', { name: 'by a writer' });
      expect(res.status).toBe(201);
      expect((await writer.patch(`/hosts/${res.body.id}`, { ip_addr: '127.9.9.9' })).status).toBe(200);
      expect((await writer.delete(`/hosts/${res.body.id}`)).status).toBe(204);
    });
  });

  it('answered every request of this suite with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(20);
    expect(documented.problems()).toEqual([]);
  });
});
