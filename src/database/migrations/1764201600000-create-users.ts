import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { timestampColumns } from './column-types';

export class CreateUsers1764201600000 implements MigrationInterface {
  name = 'CreateUsers1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'username', type: 'varchar', length: '64', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'privileges', type: 'integer' },
          { name: 'enabled', type: 'boolean', default: true },
          { name: 'token_version', type: 'integer', default: 0 },
          ...timestampColumns(queryRunner),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
