import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Named on the User entity too, so that TypeORM leaves it alone. */
const USERNAME_LOWER_INDEX = 'IDX_users_username_lower';

/**
 * Usernames unique whatever their case (`Admin` and `admin` are one user): a unique index on lower(username),
 * which SQLite and PostgreSQL both build alike (usernames hold ASCII letters only). When the table already holds
 * names that differ only by case, the migration refuses to run and names them: which one to rename or delete is
 * an operator's choice, not the service's.
 */
export class UsernamesCaseInsensitive1764547200000 implements MigrationInterface {
  name = 'UsernamesCaseInsensitive1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const clashes: { id: number; username: string }[] = await queryRunner.query(
      `SELECT "id", "username" FROM "users" WHERE LOWER("username") IN ` +
        `(SELECT LOWER("username") FROM "users" GROUP BY LOWER("username") HAVING COUNT(*) > 1) ` +
        `ORDER BY LOWER("username"), "id"`,
    );
    if (clashes.length > 0) {
      const listed = clashes.map(({ id, username }) => `${username} (id ${id})`).join(', ');
      throw new Error(
        `Usernames must be unique whatever their case, and these differ only by case: ${listed}. ` +
          'Delete or rename all but one of each in the users table (or DELETE /api/v1/users/:id with the previous ' +
          'version running), then start again.',
      );
    }
    await queryRunner.query(`CREATE UNIQUE INDEX "${USERNAME_LOWER_INDEX}" ON "users" (LOWER("username"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "${USERNAME_LOWER_INDEX}"`);
  }
}
