import type { QueryRunner, TableColumnOptions } from 'typeorm';

const isPostgres = (queryRunner: QueryRunner) => queryRunner.connection.options.type === 'postgres';

/** The created_at/updated_at pair exactly as TypeORM maps @CreateDateColumn/@UpdateDateColumn on each driver. */
export function timestampColumns(queryRunner: QueryRunner): TableColumnOptions[] {
  const postgres = isPostgres(queryRunner);
  const type = postgres ? 'timestamp' : 'datetime';
  const now = postgres ? 'now()' : "datetime('now')";
  return [
    { name: 'created_at', type, default: now },
    { name: 'updated_at', type, default: now },
  ];
}
