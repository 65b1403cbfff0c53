import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/** A monitor may hold the SHA-256 of its event token, which authenticates the events it posts (its webhook). */
export class MonitorEventTokens1765100100000 implements MigrationInterface {
  name = 'MonitorEventTokens1765100100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [`ALTER TABLE "monitors" ADD COLUMN "event_token_hash" varchar(64)`],
      postgres: [`ALTER TABLE "monitors" ADD "event_token_hash" character varying(64)`],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "monitors" DROP COLUMN "event_token_hash"`);
  }
}
