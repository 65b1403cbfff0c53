import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A monitor may authenticate with an API token (encrypted like the password) instead of username and password. */
export class MonitorApiTokens1764633600000 implements MigrationInterface {
  name = 'MonitorApiTokens1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "monitors" ADD COLUMN "api_token_encrypted" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "monitors" DROP COLUMN "api_token_encrypted"`);
  }
}
