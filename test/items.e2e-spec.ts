import { SyncStatus } from '../src/monitors/entities/sync-status';
import {
  type Api,
  apiAs,
  createHost,
  createItem,
  createMonitor,
  type HostJson,
  type ItemJson,
  seeder,
  tokenWithPrivilege,
  unique,
} from './support/inventory-factory';
import { describeListEndpoint } from './support/list-endpoint-suite';
import { startTestApp, type TestApp } from './support/test-app';
import { ISO_DATE } from './support/time';
import { ids, messageOf } from './support/http';

describe('items (e2e)', () => {
  let t: TestApp;
  let api: Api;
  let seed: ReturnType<typeof seeder>;
  let host: HostJson;

  beforeAll(async () => {
    t = await startTestApp();
    api = apiAs(t, await t.login());
    seed = seeder(t);
    host = await createHost(api);
  });
  afterAll(() => t.close());

  describe('POST /hosts/:id/items', () => {
    it('creates a local item (201) with every field, in snake_case', async () => {
      const res = await api.post(`/hosts/${host.id}/items`, {
        name: 'CPU load',
        key: 'system.cpu.load[all,avg1]',
        value_type: 0,
        units: '%',
        description: 'one-minute load',
        enabled: false,
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        host_id: host.id,
        name: 'CPU load',
        key: 'system.cpu.load[all,avg1]',
        external_id: null,
        value_type: 0,
        last_value: null,
        last_clock: null,
        units: '%',
        description: 'one-minute load',
        enabled: false,
        state: 'normal',
        state_error: '',
        status: SyncStatus.Inactive,
        status_description: '',
        last_sync_at: null,
        created_at: expect.stringMatching(ISO_DATE),
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expect((await api.get(`/items/${res.body.id}`)).body).toEqual(res.body);
    });

    it('defaults value_type to 0, units and description to empty and enabled to true', async () => {
      const res = await api.post(`/hosts/${host.id}/items`, { name: 'Free memory', key: 'vm.memory.size[free]' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ value_type: 0, units: '', description: '', enabled: true });
    });

    it.each([0, 1, 2, 3, 4])('accepts value_type %i', async (valueType) => {
      const item = await createItem(api, host.id, { value_type: valueType });
      expect(item.value_type).toBe(valueType);
    });

    it.each([5, -1, 1.5, '1'])('refuses value_type %p with 400 naming the allowed values', async (valueType) => {
      const res = await api.post(`/hosts/${host.id}/items`, { name: 'x', key: 'x', value_type: valueType });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain('value_type must be 0, 1, 2, 3 or 4');
    });

    it('names every missing field in one 400', async () => {
      const res = await api.post(`/hosts/${host.id}/items`, {});
      expect(res.status).toBe(400);
      const message = res.body.message as string[];
      expect(message.some((line) => line.startsWith('name '))).toBe(true);
      expect(message.some((line) => line.startsWith('key '))).toBe(true);
    });

    it.each([
      [{ name: 'x', key: 'x', units: 5 }, 'units'],
      [{ name: 'x', key: 'x', enabled: 'no' }, 'enabled'],
      [{ name: 'x', key: '' }, 'key'],
      [{ name: 'x', key: 'x', external_id: '1' }, 'property external_id should not exist'],
      [{ name: 'x', key: 'x', host_id: 1 }, 'property host_id should not exist'],
    ])('answers 400 to %j naming %s', async (body, named) => {
      const res = await api.post(`/hosts/${host.id}/items`, body);
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(named);
    });

    it('answers 404 to an unknown host, and 400 to a host id that is not a positive integer', async () => {
      const unknown = await api.post('/hosts/999999/items', { name: 'x', key: 'x' });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Host 999999 not found' });
      const bad = await api.post('/hosts/abc/items', { name: 'x', key: 'x' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('id must be a positive integer');
    });
  });

  describe('GET /items and GET /hosts/:id/items', () => {
    let first: HostJson;
    const tag = `q${unique()}`;
    const items: Record<string, ItemJson | { id: number }> = {};

    beforeAll(async () => {
      const monitor = await createMonitor(api);
      first = await createHost(api);
      items.cpu = await createItem(api, first.id, { name: `CPU ${tag}`, key: `system.cpu.util[${tag}]` });
      items.disk = await createItem(api, first.id, { name: 'Disk', key: `vfs.fs.size[/${tag}/,free]` });
      items.vanished = await seed.syncedItem(await seed.syncedHost(monitor.id), {
        name: `Gone ${tag}`,
        key: `gone_${tag}`,
        status: SyncStatus.Error,
        statusDescription: 'item not found on monitor',
      });
    });

    const list = async (query: Record<string, string | number>) => {
      const res = await api.get('/items', query);
      expect(res.status).toBe(200);
      return res;
    };

    describeListEndpoint('GET /items', {
      list: (query) => api.get('/items', query),
      seed: async () => ({ query: { q: tag }, ids: [items.cpu.id, items.disk.id, items.vanished.id] }),
      refused: [
        [{ host_id: 'x' }, 'host_id'],
        [{ host_id: '0' }, 'host_id'],
        [{ status: '9' }, 'status'],
        [{ offset: 'x' }, 'offset'],
      ],
    });

    it('filters by host_id', async () => {
      const res = await list({ host_id: first.id });
      expect(res.body.total).toBe(2);
      expect(ids(res)).toEqual([items.cpu.id, items.disk.id]);
    });

    it('filters by status', async () => {
      const res = await list({ status: SyncStatus.Error });
      expect(ids(res)).toEqual([items.vanished.id]);
      expect(res.body.items[0]).toMatchObject({
        status: 2,
        status_description: 'item not found on monitor',
        external_id: expect.any(String),
      });
      expect(ids(await list({ host_id: first.id, status: SyncStatus.Error }))).toEqual([]);
    });

    it('matches q against the name, case-insensitively', async () => {
      expect(ids(await list({ q: `cpu ${tag.toUpperCase()}` }))).toEqual([items.cpu.id]);
    });

    it('matches q against the key', async () => {
      expect(ids(await list({ q: `/${tag}/` }))).toEqual([items.disk.id]);
      expect(ids(await list({ q: tag }))).toEqual([items.cpu.id, items.disk.id, items.vanished.id]);
    });

    it('takes % and _ in q literally', async () => {
      // Unescaped, "_" would match the "[" or "/" around the tag in the other keys.
      expect(ids(await list({ q: `_${tag}` }))).toEqual([items.vanished.id]);
      expect(ids(await list({ q: `%${tag}` }))).toEqual([]);
    });

    it("answers a page of one host's items at /hosts/:id/items", async () => {
      const res = await api.get(`/hosts/${first.id}/items`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: expect.any(Array), total: 2, limit: 50, offset: 0 });
      expect(ids(res)).toEqual([items.cpu.id, items.disk.id]);
      expect(res.body.items[0]).toMatchObject({ host_id: first.id, name: `CPU ${tag}` });

      const page = await api.get(`/hosts/${first.id}/items`, { limit: 1, offset: 1 });
      expect(page.body).toEqual({
        items: [expect.objectContaining({ id: items.disk.id })],
        total: 2,
        limit: 1,
        offset: 1,
      });
    });

    it("filters one host's items at /hosts/:id/items as GET /items does, the host taken from the path", async () => {
      const ofFirst = async (query: Record<string, string | number>) => {
        const res = await api.get(`/hosts/${first.id}/items`, query);
        expect(res.status).toBe(200);
        return res;
      };
      expect(ids(await ofFirst({ q: `cpu ${tag.toUpperCase()}` }))).toEqual([items.cpu.id]);
      expect(ids(await ofFirst({ q: `/${tag}/` }))).toEqual([items.disk.id]);
      expect(ids(await ofFirst({ status: SyncStatus.Error }))).toEqual([]);
      expect(ids(await ofFirst({ state: 'normal' }))).toEqual([items.cpu.id, items.disk.id]);
      // The vanished item is on another host: a filter never reaches beyond the path's host.
      expect(ids(await ofFirst({ q: `Gone ${tag}` }))).toEqual([]);
      for (const [query, named] of [
        [{ host_id: first.id }, 'property host_id should not exist'],
        [{ status: 9 }, 'status'],
        [{ state: 'broken' }, 'state must be normal or not_supported'],
      ] as const) {
        const bad = await api.get(`/hosts/${first.id}/items`, query);
        expect(bad.status).toBe(400);
        expect(messageOf(bad)).toContain(named);
      }
    });

    it('answers 404 to the items of an unknown host, and 400 to a bad id', async () => {
      const res = await api.get('/hosts/999999/items');
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Host 999999 not found');
      expect((await api.get('/hosts/-1/items')).status).toBe(400);
    });
  });

  describe('GET/PATCH/DELETE /items/:id', () => {
    it('answers 404 to an unknown item and 400 to ids that are not positive integers', async () => {
      const res = await api.get('/items/999999');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Item 999999 not found' });
      for (const id of ['abc', '-1', '0']) {
        const bad = await api.get(`/items/${id}`);
        expect(bad.status).toBe(400);
        expect(bad.body.message).toBe('id must be a positive integer');
      }
    });

    it('changes the fields it is given and keeps the others', async () => {
      const item = await createItem(api, host.id, { units: 'B', description: 'before' });
      const res = await api.patch(`/items/${item.id}`, {
        name: 'Used memory',
        key: 'vm.memory.size[used]',
        value_type: 3,
        enabled: false,
      });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...item,
        name: 'Used memory',
        key: 'vm.memory.size[used]',
        value_type: 3,
        enabled: false,
        updated_at: expect.stringMatching(ISO_DATE),
      });
      expect((await api.get(`/items/${item.id}`)).body).toEqual(res.body);
    });

    it('validates the changes as on create, and changes nothing on a 400', async () => {
      const item = await createItem(api, host.id);
      const valueType = await api.patch(`/items/${item.id}`, { value_type: 7 });
      expect(valueType.status).toBe(400);
      expect(messageOf(valueType)).toContain('value_type must be 0, 1, 2, 3 or 4');
      const moved = await api.patch(`/items/${item.id}`, { host_id: 1 });
      expect(moved.status).toBe(400);
      expect(messageOf(moved)).toContain('property host_id should not exist');
      expect((await api.get(`/items/${item.id}`)).body).toEqual(item);
    });

    it.each(['name', 'key', 'value_type', 'units', 'description', 'enabled'])(
      'answers 400 naming %s when it is sent as null, and changes nothing',
      async (field) => {
        const item = await createItem(api, host.id);
        const res = await api.patch(`/items/${item.id}`, { [field]: null });
        expect(res.status).toBe(400);
        expect(messageOf(res)).toContain(field);
        expect((await api.get(`/items/${item.id}`)).body).toEqual(item);
      },
    );

    it('answers 404 to a change of an unknown item', async () => {
      const res = await api.patch('/items/999999', { name: 'x' });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Item 999999 not found');
    });

    it('deletes an item (204), then answers 404, and leaves its host', async () => {
      const item = await createItem(api, host.id);
      const res = await api.delete(`/items/${item.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api.get(`/items/${item.id}`)).status).toBe(404);
      expect((await api.delete(`/items/${item.id}`)).status).toBe(404);
      expect((await api.get(`/hosts/${host.id}`)).status).toBe(200);
    });
  });

  describe('privileges', () => {
    let reader: Api;
    let writer: Api;
    let item: ItemJson;

    beforeAll(async () => {
      reader = apiAs(t, await tokenWithPrivilege(t, api, 1));
      writer = apiAs(t, await tokenWithPrivilege(t, api, 2));
      item = await createItem(api, host.id);
    });

    it('lets a privilege-1 user read items', async () => {
      for (const path of ['/items', `/items/${item.id}`, `/hosts/${host.id}/items`]) {
        const res = await reader.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
    });

    it('answers 403 to every item write by a privilege-1 user, and changes nothing', async () => {
      const attempts = [
        await reader.post(`/hosts/${host.id}/items`, { name: 'by a reader', key: 'reader' }),
        await reader.patch(`/items/${item.id}`, { name: 'by a reader' }),
        await reader.delete(`/items/${item.id}`),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      expect((await api.get(`/items/${item.id}`)).body).toEqual(item);
      expect((await api.get(`/hosts/${host.id}/items`, { limit: 500 })).body.items).not.toContainEqual(
        expect.objectContaining({ name: 'by a reader' }),
      );
    });

    it('lets a privilege-2 user create, change and delete an item', async () => {
      const res = await writer.post(`/hosts/${host.id}/items`, { name: 'by a writer', key: 'writer' });
      expect(res.status).toBe(201);
      expect((await writer.patch(`/items/${res.body.id}`, { units: 'ms' })).status).toBe(200);
      expect((await writer.delete(`/items/${res.body.id}`)).status).toBe(204);
    });
  });
});
