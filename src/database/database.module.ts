import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config';
import { connectWithRetries } from './connect-with-retries';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './run-migrations';
import { Transactions } from './transactions';

/** The data source, migrated at boot, and the one way to run a transaction (Transactions). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // Each feature module registers its entities (TypeOrmModule.forFeature); the data source gets them all.
          // connectWithRetries retries, one line per attempt; @nestjs/typeorm's own retry logs a stack trace for each.
          useFactory: () => ({ ...dataSourceOptions(config.database), autoLoadEntities: true, toRetry: () => false }),
          dataSourceFactory: async (options) => {
            const dataSource = await connectWithRetries(options!, config);
            await runMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [Transactions],
      exports: [Transactions],
    };
  }
}
