import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/** When an acknowledgement made in Nagare reached the monitor: from then on the monitor may undo it. */
export class AlertAcknowledgementSent1765200000000 implements MigrationInterface {
  name = 'AlertAcknowledgementSent1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [`ALTER TABLE "alerts" ADD COLUMN "acknowledgement_sent_at" datetime`],
      postgres: [`ALTER TABLE "alerts" ADD "acknowledgement_sent_at" TIMESTAMP`],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "alerts" DROP COLUMN "acknowledgement_sent_at"`);
  }
}
