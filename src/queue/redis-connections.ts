import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

type BullClientType = 'client' | 'subscriber' | 'bclient';

const MAX_RECONNECT_DELAY_MS = 2000;

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
  private readonly all: Redis[] = [];
  private readonly closingHooks: (() => Promise<unknown>)[] = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { host, port, username, password, db, tls } = config.redis;
    this.base = {
      host,
      port,
      username,
      password,
      db,
      tls: tls ? {} : undefined,
      connectTimeout: 5000,
      // Reconnect forever, at most every 2 s, so the service recovers by itself when Redis returns.
      retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    };
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
   * Work that needs Redis one last time at shutdown, after the workers have drained (releasing what this process
   * holds); closeAll() runs it before it closes the connections, whatever order Nest shuts the modules down in.
   */
  onClosing(hook: () => Promise<unknown>): void {
    this.closingHooks.push(hook);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.closingHooks.map((hook) => hook().catch(() => undefined)));
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
      }),
    );
    this.all.length = 0;
  }

  /** Every queue adds its own listeners to a shared connection; past ten queues Node would warn of a leak. */
  private openShared(role: string, extra: RedisOptions): Redis {
    return this.open(role, extra).setMaxListeners(0);
  }

  private open(role: string, extra: RedisOptions): Redis {
    const connection = new Redis({ ...this.base, ...extra, connectionName: `nagare:${role}` });
    this.all.push(connection);
    this.logger.debug({ msg: 'opened a Redis connection', role });
    return connection;
  }
}
