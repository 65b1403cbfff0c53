import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/**
 * Items keep when their last value was collected (`last_clock`) and whether the monitor can collect them at all
 * (`state` normal or not_supported, with the monitor's reason in `state_error`).
 */
export class ItemClockAndState1764720000000 implements MigrationInterface {
  name = 'ItemClockAndState1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [
        `ALTER TABLE "items" ADD COLUMN "last_clock" datetime`,
        `ALTER TABLE "items" ADD COLUMN "state" varchar(16) NOT NULL DEFAULT ('normal')`,
        `ALTER TABLE "items" ADD COLUMN "state_error" varchar(2048) NOT NULL DEFAULT ('')`,
      ],
      postgres: [
        `ALTER TABLE "items" ADD "last_clock" TIMESTAMP`,
        `ALTER TABLE "items" ADD "state" character varying(16) NOT NULL DEFAULT 'normal'`,
        `ALTER TABLE "items" ADD "state_error" character varying(2048) NOT NULL DEFAULT ''`,
      ],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['state_error', 'state', 'last_clock']) {
      await queryRunner.query(`ALTER TABLE "items" DROP COLUMN "${column}"`);
    }
  }
}
