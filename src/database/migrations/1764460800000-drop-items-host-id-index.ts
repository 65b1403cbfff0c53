import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/**
 * Drops the index on items(host_id): the unique (host_id, external_id) index starts with host_id and serves the
 * same lookups, so the second index only made every item write (a sync upserts thousands) update one more tree.
 */
export class DropItemsHostIdIndex1764460800000 implements MigrationInterface {
  name = 'DropItemsHostIdIndex1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [`DROP INDEX "IDX_6a817228ec738a44e2c58c4ba1"`],
      postgres: [`DROP INDEX "public"."IDX_6a817228ec738a44e2c58c4ba1"`],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_6a817228ec738a44e2c58c4ba1" ON "items" ("host_id")`);
  }
}
