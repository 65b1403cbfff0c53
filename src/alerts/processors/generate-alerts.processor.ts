import { Processor } from '@nestjs/bull';
import { TaskProcessor } from '../../queue/task-processor';
import { TaskRuntime } from '../../queue/task-runtime.service';
import type { Payload } from '../../queue/task-types';
import { type GeneratedAlerts, TestAlertGenerator } from '../services/test-alert-generator';

/** Runs the test alert generator for a generate_alerts task; with no host at all it fails (409's ConflictError). */
@Processor('generate_alerts')
export class GenerateAlertsProcessor extends TaskProcessor<'generate_alerts'> {
  constructor(
    runtime: TaskRuntime,
    private readonly generator: TestAlertGenerator,
  ) {
    super(runtime);
  }

  protected run(params: Payload<'generate_alerts'>): Promise<GeneratedAlerts> {
    return this.generator.generate(params.count);
  }
}
