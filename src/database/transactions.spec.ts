import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { User } from '../auth/users/user.entity';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './run-migrations';
import { Transactions } from './transactions';

describe(Transactions.name, () => {
  let dir: string;
  let data: DataSource;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nagare-tx-'));
    data = await new DataSource(
      dataSourceOptions({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, [User]),
    ).initialize();
    await runMigrations(data);
  });
  afterEach(async () => {
    await data.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertUser = (name: string) => async (manager: DataSource['manager']) => {
    await manager.insert(User, { username: name, passwordHash: 'x', privileges: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('runs concurrent transactions on SQLite in turn, so none nests into another', async () => {
    const tx = new Transactions(data);
    await Promise.all(Array.from({ length: 20 }, (_, i) => tx.run(insertUser(`user${i}`))));
    expect(await data.getRepository(User).count()).toBe(20);
  });

  it('wraps the one SQLite query runner once, so thousands of transactions never pile wrappers up', async () => {
    const tx = new Transactions(data);
    await tx.run(insertUser('first'));
    const query = data.createQueryRunner().query;
    await tx.run(insertUser('second'));
    await tx.run(insertUser('third'));
    expect(data.createQueryRunner().query).toBe(query);
  });

  it('rolls back only the transaction that failed, and later ones still run', async () => {
    const tx = new Transactions(data);
    const failing = tx.run(async (manager) => {
      await insertUser('doomed')(manager);
      throw new Error('boom');
    });
    const after = tx.run(insertUser('survivor'));
    await expect(failing).rejects.toThrow('boom');
    await after;
    const names = (await data.getRepository(User).find()).map((user) => user.username);
    expect(names).toEqual(['survivor']);
  });

  it('runs a single statement outside any transaction, after the open one, so a rollback never takes it along', async () => {
    const tx = new Transactions(data);
    const failing = tx.run(async (manager) => {
      await insertUser('doomed')(manager);
      throw new Error('boom');
    });
    const single = tx.single((manager) =>
      manager.insert(User, { username: 'single', passwordHash: 'x', privileges: 1 }),
    );
    await expect(failing).rejects.toThrow('boom');
    await single;
    expect(data.createQueryRunner().isTransactionActive).toBe(false);
    const names = (await data.getRepository(User).find()).map((user) => user.username);
    expect(names).toEqual(['single']);
  });

  it("holds the write lock from its first statement, so a read-then-write never meets another process's commit", async () => {
    const otherProcess = new Database(join(dir, 'db.sqlite'), { timeout: 0 });
    const tx = new Transactions(data);
    let otherWriterWhileOpen: unknown;
    try {
      await tx.run(async (manager) => {
        await manager.count(User);
        try {
          otherProcess.prepare('BEGIN IMMEDIATE').run();
          otherProcess.prepare('ROLLBACK').run();
          otherWriterWhileOpen = 'got the lock';
        } catch (error) {
          otherWriterWhileOpen = (error as { code?: string }).code;
        }
        await manager.insert(User, { username: 'after-read', passwordHash: 'x', privileges: 1 });
      });
      expect(otherWriterWhileOpen).toBe('SQLITE_BUSY');
      otherProcess.prepare('BEGIN IMMEDIATE').run();
      otherProcess.prepare('ROLLBACK').run();
    } finally {
      otherProcess.close();
    }
    expect(await data.getRepository(User).countBy({ username: 'after-read' })).toBe(1);
  });

  it('is what the raw data source gets wrong: concurrent transactions on one SQLite connection collide', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => data.transaction(insertUser(`raw${i}`))),
    );
    expect(results.some((result) => result.status === 'rejected')).toBe(true);
  });
});
