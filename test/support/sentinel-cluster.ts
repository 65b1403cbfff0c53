import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, hasRedisServerBinary } from './redis-server';
import { sleep } from './time';

export const MASTER_NAME = 'mymaster';

export interface SentinelClusterOptions {
  /** requirepass of master and replica (and the replica's masterauth, the sentinels' auth-pass). */
  masterPassword: string;
  /** requirepass of the sentinels (and the sentinel-pass they use with each other). */
  sentinelPassword: string;
}

interface Member {
  role: 'master' | 'replica' | 'sentinel';
  port: number;
  process: ChildProcess;
}

export function hasRedisSentinelBinary(): boolean {
  return spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A real Redis Sentinel setup on loopback: a master, one replica and three sentinels (quorum 2), each a process
 * of its own with its files in a temp dir, nothing on disk beyond the sentinels' config. For failover tests.
 */
export class SentinelCluster {
  private readonly members: Member[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'nagare-sentinel-'));

  private constructor(private readonly options: SentinelClusterOptions) {}

  static async start(options: SentinelClusterOptions): Promise<SentinelCluster> {
    if (!hasRedisServerBinary() || !hasRedisSentinelBinary()) {
      throw new Error(
        'The Sentinel suite needs redis-server and redis-sentinel: `apt-get install redis-server redis-sentinel`',
      );
    }
    const cluster = new SentinelCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get masterPort(): number {
    return this.port('master');
  }

  get replicaPort(): number {
    return this.port('replica');
  }

  get sentinelPorts(): number[] {
    return this.members.filter((member) => member.role === 'sentinel').map((member) => member.port);
  }

  /** REDIS_SENTINELS as the service reads it. */
  get sentinelsJson(): string {
    return JSON.stringify(this.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })));
  }

  /** The master's port as the first sentinel that answers names it. */
  async masterPortSeenBySentinels(): Promise<number | undefined> {
    for (const port of this.sentinelPorts) {
      const reply = await this.ask(port, this.options.sentinelPassword, (client) =>
        client.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME),
      );
      if (Array.isArray(reply)) return Number(reply[1]);
    }
    return undefined;
  }

  /** The role a Redis on the port reports (`master`, `slave`), or undefined when it does not answer. */
  async roleOf(port: number): Promise<string | undefined> {
    const reply = await this.ask(port, this.options.masterPassword, (client) => client.call('ROLE'));
    return Array.isArray(reply) ? String(reply[0]) : undefined;
  }

  /** Runs `work` on a client of the master or the replica (as they were at start); undefined when it does not answer. */
  onRedis<T>(role: 'master' | 'replica', work: (client: Redis) => Promise<T>): Promise<T | undefined> {
    return this.ask(this.port(role), this.options.masterPassword, work);
  }

  /** SIGSTOPs (true) or SIGCONTs (false) the replica: alive to the kernel, silent to its master. */
  freezeReplica(frozen: boolean): void {
    const replica = this.members.find((member) => member.role === 'replica');
    replica?.process.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILLs the master, as a crash or the loss of its machine would look. */
  async killMaster(): Promise<void> {
    const master = this.members.find((member) => member.role === 'master');
    if (!master) throw new Error('no master to kill');
    await kill(master.process);
  }

  /**
   * Starts the killed master again on its port, as a crashed machine coming back: the sentinels make it a
   * replica of the promoted one.
   */
  async restartKilledMaster(): Promise<void> {
    const index = this.members.findIndex((member) => member.role === 'master');
    const { port } = this.members[index];
    this.members.splice(index, 1);
    const auth = ['--requirepass', this.options.masterPassword, '--masterauth', this.options.masterPassword];
    await this.spawnRedis('master', port, auth);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((member) => kill(member.process)));
    this.members.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    const { masterPassword, sentinelPassword } = this.options;
    const master = await freePort();
    const auth = ['--requirepass', masterPassword, '--masterauth', masterPassword];
    await this.spawnRedis('master', master, auth);
    await this.spawnRedis('replica', await freePort(), [...auth, '--replicaof', '127.0.0.1', String(master)]);
    await this.waitUntil('the replica is in sync with the master', async () => {
      const info = await this.ask(this.replicaPort, masterPassword, (client) => client.info('replication'));
      return typeof info === 'string' && info.includes('master_link_status:up');
    });
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const conf = join(this.dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel auth-pass ${MASTER_NAME} ${masterPassword}`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      this.members.push({ role: 'sentinel', port, process: spawn('redis-sentinel', [conf], { stdio: 'ignore' }) });
    }
    // A failover needs a quorum that agrees the master is down and a majority to elect a leader: every sentinel
    // must know the replica and the two others (they find each other through the master's hello channel).
    await this.waitUntil('the three sentinels know the replica and each other', async () => {
      for (const port of this.sentinelPorts) {
        const known = await this.ask(port, sentinelPassword, async (client) => ({
          replicas: (await client.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[],
          sentinels: (await client.call('SENTINEL', 'sentinels', MASTER_NAME)) as unknown[],
        }));
        if (!known || known.replicas.length !== 1 || known.sentinels.length !== 2) return false;
      }
      return true;
    });
  }

  private async spawnRedis(role: 'master' | 'replica', port: number, extra: string[]): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', [...args, '--dir', this.dir, ...extra], { stdio: 'ignore' });
    this.members.push({ role, port, process: child });
    await this.waitUntil(`the ${role} answers on ${port}`, async () => (await this.roleOf(port)) !== undefined);
  }

  private port(role: Member['role']): number {
    const member = this.members.find((candidate) => candidate.role === role);
    if (!member) throw new Error(`no ${role}`);
    return member.port;
  }

  /** Runs `work` on a short-lived client of the port; undefined when that Redis does not answer. */
  private async ask<T>(port: number, password: string, work: (client: Redis) => Promise<T>): Promise<T | undefined> {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      password,
      lazyConnect: true,
      connectTimeout: 500,
      commandTimeout: 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await work(client);
    } catch {
      return undefined;
    } finally {
      client.disconnect();
    }
  }

  private async waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return;
      await sleep(100);
    }
    throw new Error(`Sentinel cluster: gave up waiting after ${timeoutMs} ms until ${what}`);
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // SIGKILL ends a stopped process too.
    child.kill('SIGKILL');
  });
}
