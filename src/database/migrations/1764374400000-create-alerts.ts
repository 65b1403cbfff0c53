import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/** Alerts, each on a host and item or on neither; kept (with the reference cleared) when those are deleted. */
export class CreateAlerts1764374400000 implements MigrationInterface {
  name = 'CreateAlerts1764374400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [
        `CREATE TABLE "alerts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "message" varchar(1024) NOT NULL, "severity" integer NOT NULL, "status" integer NOT NULL DEFAULT (0), "host_id" integer, "item_id" integer, "comment" text NOT NULL DEFAULT (''), "acknowledged_by" varchar(64), "acknowledged_at" datetime, "resolved_by" varchar(64), "resolved_at" datetime, "created_at" datetime NOT NULL DEFAULT (datetime('now')), "updated_at" datetime NOT NULL DEFAULT (datetime('now')), CONSTRAINT "FK_b60135e63586bb5fd9cc25e0439" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "FK_bca1d60bcae09518bc801937d34" FOREIGN KEY ("item_id") REFERENCES "items" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
        `CREATE INDEX "IDX_b60135e63586bb5fd9cc25e043" ON "alerts" ("host_id")`,
        `CREATE INDEX "IDX_bca1d60bcae09518bc801937d3" ON "alerts" ("item_id")`,
        `CREATE INDEX "IDX_9a56f667c22a7afc04b8a45f83" ON "alerts" ("created_at")`,
        `CREATE INDEX "IDX_790715658ee90620af89ccf5c4" ON "alerts" ("status", "severity")`,
      ],
      postgres: [
        `CREATE TABLE "alerts" ("id" SERIAL NOT NULL, "message" character varying(1024) NOT NULL, "severity" integer NOT NULL, "status" integer NOT NULL DEFAULT '0', "host_id" integer, "item_id" integer, "comment" text NOT NULL DEFAULT '', "acknowledged_by" character varying(64), "acknowledged_at" TIMESTAMP, "resolved_by" character varying(64), "resolved_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "updated_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_60f895662df096bfcdfab7f4b96" PRIMARY KEY ("id"))`,
        `CREATE INDEX "IDX_b60135e63586bb5fd9cc25e043" ON "alerts" ("host_id")`,
        `CREATE INDEX "IDX_bca1d60bcae09518bc801937d3" ON "alerts" ("item_id")`,
        `CREATE INDEX "IDX_9a56f667c22a7afc04b8a45f83" ON "alerts" ("created_at")`,
        `CREATE INDEX "IDX_790715658ee90620af89ccf5c4" ON "alerts" ("status", "severity")`,
        `ALTER TABLE "alerts" ADD CONSTRAINT "FK_b60135e63586bb5fd9cc25e0439" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
        `ALTER TABLE "alerts" ADD CONSTRAINT "FK_bca1d60bcae09518bc801937d34" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
      ],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "alerts"`);
  }
}
