import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

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
    const turn = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
