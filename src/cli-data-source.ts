import type { DataSourceOptions } from 'typeorm';
import { Alert } from './alerts/entities/alert.entity';
import { User } from './auth/users/user.entity';
import type { DatabaseConnection } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { HostGroupLink } from './monitors/entities/host-group-link.entity';
import { HostGroup } from './monitors/entities/host-group.entity';
import { Host } from './monitors/entities/host.entity';
import { Item } from './monitors/entities/item.entity';
import { Monitor } from './monitors/entities/monitor.entity';

/**
 * Every entity of the service, for what runs without the Nest app: the migration tool
 * (scripts/pending-migration-sql.cjs), which compares them with the migrated schema, and specs. The app itself
 * loads each entity through the feature module that declares it (TypeOrmModule.forFeature, autoLoadEntities).
 */
export const CLI_ENTITIES = [User, Monitor, HostGroup, Host, HostGroupLink, Item, Alert];

/** The data source options of the app, with every entity listed above. */
export function cliDataSourceOptions(database: DatabaseConnection): DataSourceOptions {
  return dataSourceOptions(database, CLI_ENTITIES);
}
