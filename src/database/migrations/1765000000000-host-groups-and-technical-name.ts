import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/**
 * Hosts keep every group they are in on the monitor (`host_group_links`, seeded with the one group each host had)
 * and Zabbix's technical name (`technical_name`, filled by the next pull).
 */
export class HostGroupsAndTechnicalName1765000000000 implements MigrationInterface {
  name = 'HostGroupsAndTechnicalName1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [
        `CREATE TABLE "host_group_links" ("host_id" integer NOT NULL, "group_id" integer NOT NULL, "position" integer NOT NULL DEFAULT (0), CONSTRAINT "FK_61d20645e5dc9064604a4a7d958" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_1a5a31e6a8acc4da69dd42c30b1" FOREIGN KEY ("group_id") REFERENCES "host_groups" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("host_id", "group_id"))`,
        `CREATE INDEX "IDX_1a5a31e6a8acc4da69dd42c30b" ON "host_group_links" ("group_id")`,
        `ALTER TABLE "hosts" ADD COLUMN "technical_name" varchar(128)`,
      ],
      postgres: [
        `CREATE TABLE "host_group_links" ("host_id" integer NOT NULL, "group_id" integer NOT NULL, "position" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_0ea3e39e547033946f3f9cedd39" PRIMARY KEY ("host_id", "group_id"))`,
        `CREATE INDEX "IDX_1a5a31e6a8acc4da69dd42c30b" ON "host_group_links" ("group_id")`,
        `ALTER TABLE "hosts" ADD "technical_name" character varying(128)`,
        `ALTER TABLE "host_group_links" ADD CONSTRAINT "FK_61d20645e5dc9064604a4a7d958" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
        `ALTER TABLE "host_group_links" ADD CONSTRAINT "FK_1a5a31e6a8acc4da69dd42c30b1" FOREIGN KEY ("group_id") REFERENCES "host_groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      ],
    });
    await queryRunner.query(
      `INSERT INTO "host_group_links" ("host_id", "group_id", "position") ` +
        `SELECT "id", "group_id", 0 FROM "hosts" WHERE "group_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "host_group_links"`);
    await queryRunner.query(`ALTER TABLE "hosts" DROP COLUMN "technical_name"`);
  }
}
