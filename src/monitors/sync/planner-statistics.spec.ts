import type { EntityManager } from 'typeorm';
import { ANALYZE_AFTER_ADDED, analyzeAfterBulkLoad } from './planner-statistics';

/** A manager on a database of this type that records its statements (the real ANALYZE: test/sync.e2e-spec.ts). */
function managerOn(type: 'postgres' | 'better-sqlite3') {
  const statements: string[] = [];
  const manager = {
    connection: {
      options: { type },
      getMetadata: (entity: { name: string }) => ({ tableName: `${entity.name.toLowerCase()}s` }),
    },
    query: async (sql: string) => {
      statements.push(sql);
      return [];
    },
  } as unknown as EntityManager;
  return { manager, statements };
}

describe(analyzeAfterBulkLoad.name, () => {
  it('analyzes hosts and items on PostgreSQL once a pull added ANALYZE_AFTER_ADDED rows between them', async () => {
    const { manager, statements } = managerOn('postgres');
    await expect(analyzeAfterBulkLoad(manager, { hosts: 200, items: ANALYZE_AFTER_ADDED - 200 })).resolves.toBe(true);
    expect(statements).toEqual(['ANALYZE "hosts", "items"']);
  });

  it('leaves the statistics alone after a smaller pull', async () => {
    const { manager, statements } = managerOn('postgres');
    await expect(analyzeAfterBulkLoad(manager, { hosts: 1, items: ANALYZE_AFTER_ADDED - 2 })).resolves.toBe(false);
    expect(statements).toEqual([]);
  });

  it('never analyzes SQLite, whose planner takes the index without statistics', async () => {
    const { manager, statements } = managerOn('better-sqlite3');
    await expect(analyzeAfterBulkLoad(manager, { hosts: 20_000, items: 1_000_000 })).resolves.toBe(false);
    expect(statements).toEqual([]);
  });
});
