import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

const BASE_COLUMNS =
  `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "message" varchar(1024) NOT NULL, "severity" integer NOT NULL, ` +
  `"status" integer NOT NULL DEFAULT (0), "host_id" integer, "item_id" integer, "comment" text NOT NULL DEFAULT (''), ` +
  `"acknowledged_by" varchar(64), "acknowledged_at" datetime, "resolved_by" varchar(64), "resolved_at" datetime, ` +
  `"created_at" datetime NOT NULL DEFAULT (datetime('now')), "updated_at" datetime NOT NULL DEFAULT (datetime('now'))`;
const BASE_NAMES =
  `"id", "message", "severity", "status", "host_id", "item_id", "comment", "acknowledged_by", "acknowledged_at", ` +
  `"resolved_by", "resolved_at", "created_at", "updated_at"`;
const SOURCE_COLUMNS = `"source" varchar(16) NOT NULL DEFAULT ('test'), "monitor_id" integer, "external_id" varchar(64)`;
const BASE_KEYS =
  `CONSTRAINT "FK_bca1d60bcae09518bc801937d34" FOREIGN KEY ("item_id") REFERENCES "items" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, ` +
  `CONSTRAINT "FK_b60135e63586bb5fd9cc25e0439" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION`;
const MONITOR_KEY = `CONSTRAINT "FK_2738e0ed87620abc743c4024d06" FOREIGN KEY ("monitor_id") REFERENCES "monitors" ("id") ON DELETE SET NULL ON UPDATE NO ACTION`;
const INDEXES = [
  `CREATE INDEX "IDX_790715658ee90620af89ccf5c4" ON "alerts" ("status", "severity")`,
  `CREATE INDEX "IDX_9a56f667c22a7afc04b8a45f83" ON "alerts" ("created_at")`,
  `CREATE INDEX "IDX_bca1d60bcae09518bc801937d3" ON "alerts" ("item_id")`,
  `CREATE INDEX "IDX_b60135e63586bb5fd9cc25e043" ON "alerts" ("host_id")`,
];
const SOURCE_INDEX = `CREATE UNIQUE INDEX "IDX_b9fad978b8a7fd9929df0daf8a" ON "alerts" ("monitor_id", "source", "external_id")`;

/**
 * SQLite cannot add a foreign key to a table in place: the table is rebuilt with the given columns, keeping the
 * rows (the columns both versions have) and the indexes.
 */
function rebuildSqlite(columns: string, keys: string, kept: string, indexes: string[]): string[] {
  return [
    `CREATE TABLE "temporary_alerts" (${columns}, ${keys})`,
    `INSERT INTO "temporary_alerts"(${kept}) SELECT ${kept} FROM "alerts"`,
    `DROP TABLE "alerts"`,
    `ALTER TABLE "temporary_alerts" RENAME TO "alerts"`,
    ...indexes,
  ];
}

/**
 * Alerts say where they come from: `source` (`zabbix` for a monitor's problem, `test` for the generator's and every
 * alert made before, which all came from it or by hand), the `monitor_id` they belong to and the problem's event id
 * (`external_id`), unique per monitor and source so a problem is kept once.
 */
export class AlertSources1765100000000 implements MigrationInterface {
  name = 'AlertSources1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: rebuildSqlite(`${BASE_COLUMNS}, ${SOURCE_COLUMNS}`, `${BASE_KEYS}, ${MONITOR_KEY}`, BASE_NAMES, [
        ...INDEXES,
        SOURCE_INDEX,
      ]),
      postgres: [
        `ALTER TABLE "alerts" ADD "source" character varying(16) NOT NULL DEFAULT 'test'`,
        `ALTER TABLE "alerts" ADD "monitor_id" integer`,
        `ALTER TABLE "alerts" ADD "external_id" character varying(64)`,
        SOURCE_INDEX,
        `ALTER TABLE "alerts" ADD CONSTRAINT "FK_2738e0ed87620abc743c4024d06" FOREIGN KEY ("monitor_id") REFERENCES "monitors"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
      ],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: rebuildSqlite(BASE_COLUMNS, BASE_KEYS, BASE_NAMES, INDEXES),
      postgres: [
        `ALTER TABLE "alerts" DROP CONSTRAINT "FK_2738e0ed87620abc743c4024d06"`,
        `DROP INDEX "IDX_b9fad978b8a7fd9929df0daf8a"`,
        `ALTER TABLE "alerts" DROP COLUMN "external_id"`,
        `ALTER TABLE "alerts" DROP COLUMN "monitor_id"`,
        `ALTER TABLE "alerts" DROP COLUMN "source"`,
      ],
    });
  }
}
