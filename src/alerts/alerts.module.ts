import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Host } from '../monitors/entities/host.entity';
import { Item } from '../monitors/entities/item.entity';
import { QueueModule } from '../queue/queue.module';
import { AlertsController } from './controllers/alerts.controller';
import { TestAlertsController } from './controllers/test-alerts.controller';
import { Alert } from './entities/alert.entity';
import { GenerateAlertsProcessor } from './processors/generate-alerts.processor';
import { AlertsService } from './services/alerts.service';
import { TestAlertGenerator } from './services/test-alert-generator';

/** Alerts on the inventory's hosts and items, their score, and the test alert generator with its task processor. */
@Module({
  imports: [TypeOrmModule.forFeature([Alert, Host, Item]), QueueModule],
  controllers: [TestAlertsController, AlertsController],
  providers: [AlertsService, TestAlertGenerator, GenerateAlertsProcessor],
  exports: [AlertsService],
})
export class AlertsModule {}
