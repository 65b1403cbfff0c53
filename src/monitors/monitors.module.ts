import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { QueueModule } from '../queue/queue.module';
import { HostsController } from './controllers/hosts.controller';
import { ItemsController } from './controllers/items.controller';
import { MonitorsController } from './controllers/monitors.controller';
import { SyncAsyncController } from './controllers/sync-async.controller';
import { SyncController } from './controllers/sync.controller';
import { CredentialsCipher } from './credentials-cipher';
import { HostGroup } from './entities/host-group.entity';
import { Host } from './entities/host.entity';
import { Item } from './entities/item.entity';
import { Monitor } from './entities/monitor.entity';
import { SYNC_PROCESSORS } from './processors';
import { MONITOR_PROVIDERS, MonitorProviders } from './providers/monitor-providers';
import { ZabbixProvider } from './providers/zabbix/zabbix.provider';
import { HostsService } from './services/hosts.service';
import { ItemsService } from './services/items.service';
import { MonitorsService } from './services/monitors.service';
import { InventoryWriter } from './sync/inventory-writer';
import { MonitorLock } from './sync/monitor-lock';
import { SyncService } from './sync/sync.service';

/** Monitors and their inventory (host groups, hosts, items), the providers that reach them, and the sync. */
@Module({
  imports: [TypeOrmModule.forFeature([Monitor, HostGroup, Host, Item]), QueueModule],
  controllers: [MonitorsController, HostsController, ItemsController, SyncController, SyncAsyncController],
  providers: [
    MonitorsService,
    HostsService,
    ItemsService,
    SyncService,
    InventoryWriter,
    MonitorLock,
    ...SYNC_PROCESSORS,
    MonitorProviders,
    ZabbixProvider,
    { provide: MONITOR_PROVIDERS, inject: [ZabbixProvider], useFactory: (zabbix: ZabbixProvider) => [zabbix] },
    {
      provide: CredentialsCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new CredentialsCipher(config.jwt.secret),
    },
  ],
  exports: [MonitorsService, HostsService, ItemsService, SyncService],
})
export class MonitorsModule {}
