import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IdempotencyModule } from '../queue/idempotency/idempotency.module';
import { QueueModule } from '../queue/queue.module';
import { QuotasModule } from '../queue/quotas/quotas.module';
import { HostsController } from './controllers/hosts.controller';
import { ItemsController } from './controllers/items.controller';
import { MonitorsController } from './controllers/monitors.controller';
import { SyncAsyncController } from './controllers/sync-async.controller';
import { SyncController } from './controllers/sync.controller';
import { CredentialsCipher } from './credentials-cipher';
import { CredentialsReseal } from './services/credentials-reseal';
import { HostGroupLink } from './entities/host-group-link.entity';
import { HostGroup } from './entities/host-group.entity';
import { Host } from './entities/host.entity';
import { Item } from './entities/item.entity';
import { Monitor } from './entities/monitor.entity';
import { SYNC_PROCESSORS } from './processors';
import { SESSION_TOKEN_STORE } from './providers/monitor-provider';
import { MONITOR_PROVIDERS, MonitorProviders } from './providers/monitor-providers';
import { ZabbixProvider } from './providers/zabbix/zabbix.provider';
import { HostsService } from './services/hosts.service';
import { InventoryDeletes } from './services/inventory-deletes';
import { ItemsService } from './services/items.service';
import { MonitorsWriter } from './services/monitors-writer';
import { MonitorsService } from './services/monitors.service';
import { StoredSessionTokens } from './services/stored-session-tokens';
import { EventTokens } from './services/event-tokens';
import { InventoryWriter } from './sync/inventory-writer';
import { MonitorDeletes } from './sync/monitor-deletes';
import { MonitorLock } from './sync/monitor-lock';
import { MonitorSessions } from './sync/monitor-sessions';
import { SyncService } from './sync/sync.service';
import { SyncTargets } from './sync/sync-targets';

/** Monitors and their inventory (host groups, hosts, items), the providers that reach them, and the sync. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Monitor, HostGroup, Host, HostGroupLink, Item]),
    QueueModule,
    IdempotencyModule,
    QuotasModule,
  ],
  controllers: [MonitorsController, HostsController, ItemsController, SyncController, SyncAsyncController],
  providers: [
    MonitorsService,
    MonitorsWriter,
    EventTokens,
    HostsService,
    ItemsService,
    InventoryDeletes,
    MonitorSessions,
    SyncService,
    MonitorDeletes,
    SyncTargets,
    InventoryWriter,
    MonitorLock,
    CredentialsReseal,
    ...SYNC_PROCESSORS,
    MonitorProviders,
    ZabbixProvider,
    { provide: SESSION_TOKEN_STORE, useClass: StoredSessionTokens },
    { provide: MONITOR_PROVIDERS, inject: [ZabbixProvider], useFactory: (zabbix: ZabbixProvider) => [zabbix] },
    {
      provide: CredentialsCipher,
      inject: [APP_CONFIG],
      useFactory: ({ credentials }: AppConfig) => new CredentialsCipher(credentials.current, credentials.previous),
    },
  ],
  exports: [
    MonitorsService,
    HostsService,
    ItemsService,
    SyncService,
    InventoryWriter,
    MonitorProviders,
    MonitorLock,
    EventTokens,
    MonitorSessions,
  ],
})
export class MonitorsModule {}
