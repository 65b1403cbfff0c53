import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { bulkBatchOf } from './bulk-write';

/**
 * Every transaction of the service goes through here. On SQLite TypeORM runs all queries of the process on one
 * connection, so two transactions open at once would nest into each other and fail ("cannot start a transaction
 * within a transaction"); they take turns instead (SQLite admits one writer at a time anyway). PostgreSQL gives
 * each transaction its own pooled connection.
 */
@Injectable()
export class Transactions {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type === 'postgres') return this.dataSource.transaction(work);
    const turn = this.tail.then(() => this.immediate(work));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /**
   * One statement, which the database makes atomic by itself, so no BEGIN and COMMIT around it. On SQLite it still
   * takes its turn: run alone on the shared connection while a transaction is open, it would become part of that
   * transaction (and be rolled back with it). PostgreSQL runs it on any pooled connection.
   */
  single<T>(statement: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type === 'postgres') return statement(this.dataSource.manager);
    const turn = this.tail.then(() => statement(this.dataSource.manager));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** The database's type (`postgres`, `better-sqlite3`), for the few statements that differ between them. */
  get databaseType(): string {
    return this.dataSource.options.type;
  }

  /** Rows per bulk statement on this database (bulkBatchOf): whether a write is one statement or several. */
  bulkBatch(): number {
    return bulkBatchOf(this.dataSource.manager);
  }

  /**
   * TypeORM opens SQLite transactions with a deferred BEGIN. One that reads and then writes fails at once with
   * SQLITE_BUSY when another process committed in between: upgrading a read snapshot to a write lock does not wait
   * out the busy timeout. BEGIN IMMEDIATE takes the write lock first, so the transaction waits its turn like any
   * other writer, which is what several worker processes on one SQLite file need.
   */
  private async immediate<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    beginImmediately(runner);
    try {
      await runner.startTransaction();
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}

/** Marks a query runner whose query() already rewrites the BEGIN. */
const BEGINS_IMMEDIATELY = Symbol('beginsImmediately');

/**
 * Rewrites the one statement TypeORM's SQLite runner opens a transaction with; savepoints are untouched. The
 * SQLite drivers hand out one and the same query runner every time, so it is wrapped once: a wrapper per
 * transaction would pile up until query() overflows the stack (after about 9,500 transactions in one process).
 */
function beginImmediately(runner: QueryRunner): void {
  const marked = runner as QueryRunner & { [BEGINS_IMMEDIATELY]?: true };
  if (marked[BEGINS_IMMEDIATELY]) return;
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  (runner as { query: (...args: unknown[]) => Promise<unknown> }).query = (sql, ...rest) =>
    query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest);
  marked[BEGINS_IMMEDIATELY] = true;
}
