import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** A DATABASE_URL for the service: a fresh SQLite file, or a fresh PostgreSQL database. */
  url: string;
  kind: 'sqlite' | 'postgres';
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL pointing at PostgreSQL, each caller gets its own new database on that server (dropped
 * afterwards); otherwise a SQLite file in the caller's directory.
 */
export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  const server = process.env.DATABASE_URL;
  if (!server?.startsWith('postgres')) {
    return { url: `sqlite:${dir}/nagare.sqlite`, kind: 'sqlite', drop: async () => undefined };
  }
  const name = `nagare_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(server, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    drop: async () => {
      await withAdminClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
