import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ioredisOptions } from '../config/redis-connection';

type BullClientType = 'client' | 'subscriber' | 'bclient';
const BULL_ROLES: ReadonlySet<string> = new Set<BullClientType>(['client', 'subscriber', 'bclient']);

/** How long an enqueue waits for replicas to hold its task; under the producer's 1.2 s bound. */
export const REPLICA_ACK_TIMEOUT_MS = 1000;

/**
 * Owns every Redis connection Bull uses. All queues share one command client and one subscriber; each queue
 * gets its own blocking client, as Bull 4 requires. Bull does not close connections handed to it through
 * createClient, so closeAll() does, after the queues have closed.
 */
@Injectable()
export class RedisConnections {
  private readonly logger = new Logger(RedisConnections.name);
  private readonly base: RedisOptions;
  private shared?: Redis;
  private subscriber?: Redis;
  private ackClient?: Redis;
  private readonly all: Redis[] = [];
  private readonly closingHooks: (() => Promise<unknown>)[] = [];
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Direct (host/port) or through Redis Sentinel: ioredis then asks the sentinels for the master, again at
    // every reconnect, so after a failover every connection finds the promoted replica by itself.
    this.base = ioredisOptions(config.redis);
    // Opened up front, so the first enqueue does not find it still connecting.
    if (config.redis.replicasToAck) this.ackClient = this.open('replica-ack', { enableOfflineQueue: false });
  }

  /** Bull's createClient hook. */
  readonly create = (type: BullClientType): Redis => {
    if (type === 'client') return (this.shared ??= this.openShared('client', {}));
    const blockingSafe = { maxRetriesPerRequest: null, enableReadyCheck: false };
    if (type === 'subscriber') return (this.subscriber ??= this.openShared('subscriber', blockingSafe));
    return this.open('bclient', blockingSafe);
  };

  /** The command connection every queue uses; what readiness pings. */
  get commandClient(): Redis {
    return this.create('client');
  }

  /**
   * A connection of the caller's own that fails a command at once while Redis is down instead of queueing it
   * (ioredis's offline queue), for a caller that has a fallback; closed with the others by closeAll().
   */
  failFast(role: string): Redis {
    return this.open(role, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  }

  /**
   * With `redis.min_replicas_ack` (1 by default with sentinels): true once that many replicas hold every write
   * this process made so far, false when they did not within REPLICA_ACK_TIMEOUT_MS. Redis's WAIT counts only
   * the writes of its own connection, and blocks that connection meanwhile; so this runs on a connection of its
   * own and writes a probe key first: the replication stream is ordered, so a replica that has the probe has
   * every write that was answered before it, the caller's task included. Without the setting, true at once.
   */
  async replicated(): Promise<boolean> {
    const wanted = this.config.redis.replicasToAck;
    if (!wanted) return true;
    const client = this.ackClient;
    if (client?.status !== 'ready') return false;
    const results = await client
      .pipeline()
      .set(`${this.config.queue.prefix}:replication-probe`, Date.now(), 'PX', 60_000)
      .wait(wanted, REPLICA_ACK_TIMEOUT_MS)
      .exec();
    const [probeError] = results?.[0] ?? [new Error('no reply')];
    const [waitError, acked] = results?.[1] ?? [new Error('no reply')];
    return !probeError && !waitError && Number(acked) >= wanted;
  }

  /**
   * Work that needs Redis one last time at shutdown, after the workers have drained (releasing what this process
   * holds); closeAll() runs it before it closes the connections, whatever order Nest shuts the modules down in.
   */
  onClosing(hook: () => Promise<unknown>): void {
    this.closingHooks.push(hook);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.closingHooks.map((hook) => hook().catch(() => undefined)));
    this.closed = true;
    await Promise.all(
      this.all.map(async (connection) => {
        if (connection.status === 'end') return;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([connection.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
        } catch {
          // quit fails on a connection that is already down; disconnect below ends it either way
        } finally {
          // A pending timer would hold the event loop open after shutdown.
          clearTimeout(timer);
        }
        connection.disconnect();
        neverConnectAgain(connection);
      }),
    );
    this.all.length = 0;
  }

  /** Every queue adds its own listeners to a shared connection; past ten queues Node would warn of a leak. */
  private openShared(role: string, extra: RedisOptions): Redis {
    return this.open(role, extra).setMaxListeners(0);
  }

  private open(role: string, extra: RedisOptions): Redis {
    if (this.closed) {
      // A queue that starts or closes after shutdown (Bull opens blocking clients lazily) gets a connection that
      // stays down: a live one would keep the process, or a test run, alive reconnecting to a Redis that is gone.
      const inert = new Redis({ ...this.base, ...extra, lazyConnect: true });
      neverConnectAgain(inert);
      return inert;
    }
    const connection = new Redis({ ...this.base, ...extra, connectionName: `nagare:${role}` });
    // Bull listens for errors on the connections it gets; the others must not print "Unhandled error event".
    if (!BULL_ROLES.has(role)) connection.on('error', () => undefined);
    this.all.push(connection);
    this.logger.debug({ msg: 'opened a Redis connection', role });
    return connection;
  }
}

/**
 * Bull reconnects a blocking client it sees drop (its close and pause do `disconnect().then(connect)`), and ioredis
 * schedules reconnects of its own: after shutdown both must find nothing to reconnect.
 */
function neverConnectAgain(connection: Redis): void {
  connection.connect = () => Promise.resolve();
}
