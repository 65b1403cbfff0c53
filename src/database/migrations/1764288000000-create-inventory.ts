import type { MigrationInterface, QueryRunner } from 'typeorm';
import { runFor } from './dialect';

/** Monitors and the inventory pulled from them: host groups, hosts and items. */
export class CreateInventory1764288000000 implements MigrationInterface {
  name = 'CreateInventory1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await runFor(queryRunner, {
      sqlite: [
        `CREATE TABLE "monitors" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(128) NOT NULL, "url" varchar(2048) NOT NULL, "type" varchar(32) NOT NULL, "username" varchar(128) NOT NULL, "password_encrypted" text NOT NULL, "auth_token_encrypted" text, "description" text NOT NULL DEFAULT (''), "enabled" boolean NOT NULL DEFAULT (1), "status" integer NOT NULL DEFAULT (0), "status_description" varchar(1024) NOT NULL DEFAULT (''), "last_sync_at" datetime, "created_at" datetime NOT NULL DEFAULT (datetime('now')), "updated_at" datetime NOT NULL DEFAULT (datetime('now')), CONSTRAINT "UQ_32f18d6269ed22b34668835c3ae" UNIQUE ("name"))`,
        `CREATE TABLE "host_groups" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255) NOT NULL, "monitor_id" integer, "external_id" varchar(64), CONSTRAINT "FK_f4ef27aacbd858744ffd7e84fac" FOREIGN KEY ("monitor_id") REFERENCES "monitors" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
        `CREATE UNIQUE INDEX "IDX_6b824e7f043088d9b0b1b7aa0a" ON "host_groups" ("monitor_id", "external_id")`,
        `CREATE TABLE "hosts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255) NOT NULL, "monitor_id" integer, "external_id" varchar(64), "group_id" integer, "description" text NOT NULL DEFAULT (''), "enabled" boolean NOT NULL DEFAULT (1), "status" integer NOT NULL DEFAULT (0), "status_description" varchar(1024) NOT NULL DEFAULT (''), "ip_addr" varchar(255), "last_sync_at" datetime, "created_at" datetime NOT NULL DEFAULT (datetime('now')), "updated_at" datetime NOT NULL DEFAULT (datetime('now')), CONSTRAINT "FK_7136360012572f6fcca5874d351" FOREIGN KEY ("monitor_id") REFERENCES "monitors" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "FK_4fff2056288eaea523d8e16eac9" FOREIGN KEY ("group_id") REFERENCES "host_groups" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
        `CREATE INDEX "IDX_7136360012572f6fcca5874d35" ON "hosts" ("monitor_id")`,
        `CREATE INDEX "IDX_4fff2056288eaea523d8e16eac" ON "hosts" ("group_id")`,
        `CREATE UNIQUE INDEX "IDX_ba7b233016c7919b4053b9c84b" ON "hosts" ("monitor_id", "external_id")`,
        `CREATE TABLE "items" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255) NOT NULL, "host_id" integer NOT NULL, "external_id" varchar(64), "external_host_id" varchar(64), "item_key" varchar(2048) NOT NULL, "value_type" integer NOT NULL DEFAULT (0), "last_value" text, "units" varchar(255) NOT NULL DEFAULT (''), "description" text NOT NULL DEFAULT (''), "enabled" boolean NOT NULL DEFAULT (1), "status" integer NOT NULL DEFAULT (0), "status_description" varchar(1024) NOT NULL DEFAULT (''), "last_sync_at" datetime, "created_at" datetime NOT NULL DEFAULT (datetime('now')), "updated_at" datetime NOT NULL DEFAULT (datetime('now')), CONSTRAINT "FK_6a817228ec738a44e2c58c4ba15" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
        `CREATE INDEX "IDX_6a817228ec738a44e2c58c4ba1" ON "items" ("host_id")`,
        `CREATE UNIQUE INDEX "IDX_80113a30986f1be455fc4e94c2" ON "items" ("host_id", "external_id")`,
      ],
      postgres: [
        `CREATE TABLE "monitors" ("id" SERIAL NOT NULL, "name" character varying(128) NOT NULL, "url" character varying(2048) NOT NULL, "type" character varying(32) NOT NULL, "username" character varying(128) NOT NULL, "password_encrypted" text NOT NULL, "auth_token_encrypted" text, "description" text NOT NULL DEFAULT '', "enabled" boolean NOT NULL DEFAULT true, "status" integer NOT NULL DEFAULT '0', "status_description" character varying(1024) NOT NULL DEFAULT '', "last_sync_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "updated_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "UQ_32f18d6269ed22b34668835c3ae" UNIQUE ("name"), CONSTRAINT "PK_193902e2013887310490284cdbe" PRIMARY KEY ("id"))`,
        `CREATE TABLE "host_groups" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "monitor_id" integer, "external_id" character varying(64), CONSTRAINT "PK_6b778d31bdf785ea42753504dae" PRIMARY KEY ("id"))`,
        `CREATE UNIQUE INDEX "IDX_6b824e7f043088d9b0b1b7aa0a" ON "host_groups" ("monitor_id", "external_id")`,
        `CREATE TABLE "hosts" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "monitor_id" integer, "external_id" character varying(64), "group_id" integer, "description" text NOT NULL DEFAULT '', "enabled" boolean NOT NULL DEFAULT true, "status" integer NOT NULL DEFAULT '0', "status_description" character varying(1024) NOT NULL DEFAULT '', "ip_addr" character varying(255), "last_sync_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "updated_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_c4bcf0826e0e2847faee4da1746" PRIMARY KEY ("id"))`,
        `CREATE INDEX "IDX_7136360012572f6fcca5874d35" ON "hosts" ("monitor_id")`,
        `CREATE INDEX "IDX_4fff2056288eaea523d8e16eac" ON "hosts" ("group_id")`,
        `CREATE UNIQUE INDEX "IDX_ba7b233016c7919b4053b9c84b" ON "hosts" ("monitor_id", "external_id")`,
        `CREATE TABLE "items" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "host_id" integer NOT NULL, "external_id" character varying(64), "external_host_id" character varying(64), "item_key" character varying(2048) NOT NULL, "value_type" integer NOT NULL DEFAULT '0', "last_value" text, "units" character varying(255) NOT NULL DEFAULT '', "description" text NOT NULL DEFAULT '', "enabled" boolean NOT NULL DEFAULT true, "status" integer NOT NULL DEFAULT '0', "status_description" character varying(1024) NOT NULL DEFAULT '', "last_sync_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL DEFAULT now(), "updated_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_ba5885359424c15ca6b9e79bcf6" PRIMARY KEY ("id"))`,
        `CREATE INDEX "IDX_6a817228ec738a44e2c58c4ba1" ON "items" ("host_id")`,
        `CREATE UNIQUE INDEX "IDX_80113a30986f1be455fc4e94c2" ON "items" ("host_id", "external_id")`,
        `ALTER TABLE "host_groups" ADD CONSTRAINT "FK_f4ef27aacbd858744ffd7e84fac" FOREIGN KEY ("monitor_id") REFERENCES "monitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
        `ALTER TABLE "hosts" ADD CONSTRAINT "FK_7136360012572f6fcca5874d351" FOREIGN KEY ("monitor_id") REFERENCES "monitors"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
        `ALTER TABLE "hosts" ADD CONSTRAINT "FK_4fff2056288eaea523d8e16eac9" FOREIGN KEY ("group_id") REFERENCES "host_groups"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
        `ALTER TABLE "items" ADD CONSTRAINT "FK_6a817228ec738a44e2c58c4ba15" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      ],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['items', 'hosts', 'host_groups', 'monitors']) await queryRunner.query(`DROP TABLE "${table}"`);
  }
}
