import { Column, DataSource, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bulkInsert, bulkUpsert, defineTable, type Row } from './bulk-write';

@Entity('gadgets')
@Index(['owner', 'code'], { unique: true })
class Gadget {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'integer' }) owner!: number;
  @Column({ type: 'varchar' }) code!: string;
  @Column({ name: 'display_name', type: 'varchar' }) name!: string;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ name: 'seen_at', type: 'datetime', nullable: true }) seenAt!: Date | null;
}

const GADGETS = defineTable({
  entity: Gadget,
  columns: ['owner', 'code', 'name', 'enabled', 'seenAt'],
  conflict: ['owner', 'code'],
});

describe('bulk-write', () => {
  let data: DataSource;

  beforeEach(async () => {
    data = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [Gadget],
      synchronize: true,
    }).initialize();
  });
  afterEach(() => data.destroy());

  const all = () => data.getRepository(Gadget).find({ order: { code: 'ASC' } });

  it('writes each property to its own column, whatever order a row lists them in', async () => {
    const seenAt = new Date('2026-01-02T03:04:05.678Z');
    const rows: Row<typeof GADGETS>[] = [
      { owner: 1, code: 'a', name: 'Alpha', enabled: true, seenAt },
      { seenAt: null, enabled: false, name: 'Beta', code: 'b', owner: 1 },
    ];
    await bulkInsert(data.manager, GADGETS, rows);
    expect(await all()).toEqual([
      { id: 1, owner: 1, code: 'a', name: 'Alpha', enabled: true, seenAt },
      { id: 2, owner: 1, code: 'b', name: 'Beta', enabled: false, seenAt: null },
    ]);
  });

  it('updates the rows whose conflict key exists and inserts the others, the updated row keeping its id', async () => {
    await bulkUpsert(data.manager, GADGETS, [{ owner: 1, code: 'a', name: 'Alpha', enabled: true, seenAt: null }]);
    await bulkUpsert(data.manager, GADGETS, [
      { owner: 1, code: 'a', name: 'Alpha 2', enabled: false, seenAt: null },
      { owner: 2, code: 'a', name: 'Other owner', enabled: true, seenAt: null },
    ]);
    expect((await all()).map(({ id, owner, name, enabled }) => ({ id, owner, name, enabled }))).toEqual([
      { id: 1, owner: 1, name: 'Alpha 2', enabled: false },
      { id: expect.any(Number), owner: 2, name: 'Other owner', enabled: true },
    ]);
  });

  it('binds every value as a parameter, so values that look like SQL stay values', async () => {
    const name = "x'); DROP TABLE gadgets; --";
    await bulkUpsert(data.manager, GADGETS, [{ owner: 1, code: 'a', name, enabled: true, seenAt: null }]);
    expect((await all())[0].name).toBe(name);
  });

  describe('with compared columns', () => {
    const COMPARED = defineTable({ ...GADGETS, compared: ['name', 'enabled'] });
    const before = new Date('2026-01-01T00:00:00.000Z');
    const after = new Date('2026-02-01T00:00:00.000Z');

    it('leaves a row whose compared columns are equal as it was, and rewrites one where any differs', async () => {
      const first = await bulkUpsert(data.manager, COMPARED, [
        { owner: 1, code: 'a', name: 'Alpha', enabled: true, seenAt: before },
        { owner: 1, code: 'b', name: 'Beta', enabled: true, seenAt: before },
      ]);
      expect(first).toBe(2);
      const second = await bulkUpsert(data.manager, COMPARED, [
        { owner: 1, code: 'a', name: 'Alpha', enabled: true, seenAt: after },
        { owner: 1, code: 'b', name: 'Beta', enabled: false, seenAt: after },
        { owner: 1, code: 'c', name: 'Gamma', enabled: true, seenAt: after },
      ]);
      expect(second).toBe(2);
      expect((await all()).map(({ code, enabled, seenAt }) => ({ code, enabled, seenAt }))).toEqual([
        { code: 'a', enabled: true, seenAt: before },
        { code: 'b', enabled: false, seenAt: after },
        { code: 'c', enabled: true, seenAt: after },
      ]);
    });

    it('counts a NULL compared with a value as a change, and two NULLs as equal', async () => {
      const NULLABLE = defineTable({ ...GADGETS, compared: ['seenAt'] });
      await bulkUpsert(data.manager, NULLABLE, [{ owner: 1, code: 'a', name: 'A', enabled: true, seenAt: null }]);
      const row = { owner: 1, code: 'a', name: 'A', enabled: true, seenAt: null };
      expect(await bulkUpsert(data.manager, NULLABLE, [row])).toBe(0);
      expect(await bulkUpsert(data.manager, NULLABLE, [{ ...row, seenAt: after }])).toBe(1);
      expect(await bulkUpsert(data.manager, NULLABLE, [{ ...row, seenAt: after }])).toBe(0);
      expect(await bulkUpsert(data.manager, NULLABLE, [row])).toBe(1);
    });
  });

  it('refuses an upsert into a table declared without conflict columns', async () => {
    const insertOnly = defineTable({ entity: Gadget, columns: ['owner', 'code', 'name'], conflict: [] });
    await expect(bulkUpsert(data.manager, insertOnly, [{ owner: 1, code: 'a', name: 'A' }])).rejects.toThrow(
      'needs its conflict columns',
    );
  });
});
