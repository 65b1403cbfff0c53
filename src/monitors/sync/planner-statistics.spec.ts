import type { EntityManager } from 'typeorm';
import { ANALYZE_AFTER_ADDED, analyzeInventory, analyzesAfter } from './planner-statistics';

describe('planner statistics after a pull', () => {
  it('are refreshed on PostgreSQL once a pull added ANALYZE_AFTER_ADDED hosts and items between them', () => {
    expect(analyzesAfter('postgres', { hosts: 200, items: ANALYZE_AFTER_ADDED - 200 })).toBe(true);
    expect(analyzesAfter('postgres', { hosts: 1, items: ANALYZE_AFTER_ADDED - 2 })).toBe(false);
  });

  it('are never refreshed on SQLite, whose planner takes the index without statistics', () => {
    expect(analyzesAfter('better-sqlite3', { hosts: 20_000, items: 1_000_000 })).toBe(false);
  });

  it('are refreshed for both inventory tables, with a bound on the wait for a lock (the real run: sync e2e)', async () => {
    const statements: string[] = [];
    const snake = (property: string) => property.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    const manager = {
      connection: {
        getMetadata: (entity: { name: string }) => ({
          tableName: `${entity.name.toLowerCase()}s`,
          findColumnWithPropertyName: (property: string) => ({ databaseName: snake(property) }),
        }),
      },
      query: async (sql: string) => statements.push(sql),
    } as unknown as EntityManager;
    await analyzeInventory(manager);
    expect(statements).toEqual([
      'SET LOCAL lock_timeout = 2000',
      'ANALYZE "hosts" ("id", "monitor_id", "external_id"), "items" ("id", "host_id", "external_id")',
    ]);
  });
});
