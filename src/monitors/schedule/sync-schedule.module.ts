import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../../queue/queue.module';
import { Monitor } from '../entities/monitor.entity';
import { SCHEDULE_QUEUE } from './sync-schedule.constants';
import { SyncSchedule } from './sync-schedule.service';
import { SyncTickProcessor } from './sync-tick.processor';

/**
 * The optional periodic pull of every enabled monitor (`sync.interval_seconds`), as a Bull repeatable job on its
 * own small queue. The queue exists in every role (the dashboard shows it); only workers set and run the schedule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Monitor]), QueueModule, BullModule.registerQueue({ name: SCHEDULE_QUEUE })],
  providers: [SyncSchedule, SyncTickProcessor],
  exports: [BullModule, SyncSchedule, SyncTickProcessor],
})
export class SyncScheduleModule {}
