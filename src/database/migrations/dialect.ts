import type { QueryRunner } from 'typeorm';

/** Runs the statements written for the database the runner is connected to (SQLite or PostgreSQL). */
export async function runFor(queryRunner: QueryRunner, sql: { sqlite: string[]; postgres: string[] }): Promise<void> {
  const statements = queryRunner.connection.options.type === 'postgres' ? sql.postgres : sql.sqlite;
  for (const statement of statements) await queryRunner.query(statement);
}
