import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Host } from '../monitors/entities/host.entity';
import { Item } from '../monitors/entities/item.entity';
import { IdempotencyModule } from '../queue/idempotency/idempotency.module';
import { MonitorsModule } from '../monitors/monitors.module';
import { QueueModule } from '../queue/queue.module';
import { QuotasModule } from '../queue/quotas/quotas.module';
import { AlertsController } from './controllers/alerts.controller';
import { TestAlertsController } from './controllers/test-alerts.controller';
import { Alert } from './entities/alert.entity';
import { GenerateAlertsProcessor } from './processors/generate-alerts.processor';
import { AlertsWriter } from './services/alerts-writer';
import { AlertsService } from './services/alerts.service';
import { TestAlertGenerator } from './services/test-alert-generator';
import { AlertPullController } from './controllers/alert-pull.controller';
import { AlertEventsController } from './events/alert-events.controller';
import { AlertEvents } from './events/alert-events.service';
import { EventTokenGuard } from './events/event-token.guard';
import { AcknowledgeAlertProcessor } from './processors/acknowledge-alert.processor';
import { PullAlertsProcessor } from './processors/pull-alerts.processor';
import { AlertAcknowledger } from './zabbix/alert-acknowledger';
import { AlertPullService } from './zabbix/alert-pull.service';
import { AlertTaskTargets } from './zabbix/alert-task-targets';
import { ProblemAlerts } from './zabbix/problem-alerts';

/**
 * Alerts on the inventory's hosts and items, their score, the test alert generator, and the monitors' problems as
 * alerts (pull_alerts, acknowledge_alert), each task type with its processor.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Alert, Host, Item]),
    QueueModule,
    MonitorsModule,
    IdempotencyModule,
    QuotasModule,
  ],
  controllers: [TestAlertsController, AlertsController, AlertPullController, AlertEventsController],
  providers: [
    AlertsService,
    AlertsWriter,
    TestAlertGenerator,
    GenerateAlertsProcessor,
    ProblemAlerts,
    AlertPullService,
    AlertAcknowledger,
    AlertTaskTargets,
    PullAlertsProcessor,
    AcknowledgeAlertProcessor,
    AlertEvents,
    EventTokenGuard,
  ],
  exports: [AlertsService],
})
export class AlertsModule {}
