import { Processor } from '@nestjs/bull';
import { TaskHandler } from '../../queue/task-handler.decorator';
import type { Payload } from '../../queue/task-types';
import { type GeneratedAlerts, TestAlertGenerator } from '../services/test-alert-generator';

/** Runs the test alert generator for a generate_alerts task; with no host at all it fails (409's ConflictError). */
@Processor('generate_alerts')
export class GenerateAlertsProcessor {
  constructor(private readonly generator: TestAlertGenerator) {}

  @TaskHandler('generate_alerts')
  handle(params: Payload<'generate_alerts'>): Promise<GeneratedAlerts> {
    return this.generator.generate(params.count);
  }
}
