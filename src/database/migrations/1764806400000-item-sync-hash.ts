import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/** Items keep a hash of what the last pull wrote of them (`sync_hash`), so a re-pull skips unchanged ones cheaply. */
export class ItemSyncHash1764806400000 implements MigrationInterface {
  name = 'ItemSyncHash1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [`ALTER TABLE "items" ADD COLUMN "sync_hash" varchar(32)`],
      postgres: [`ALTER TABLE "items" ADD "sync_hash" character varying(32)`],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "items" DROP COLUMN "sync_hash"`);
  }
}
