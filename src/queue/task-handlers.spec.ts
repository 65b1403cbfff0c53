import { describe, expect, it } from '@jest/globals';
import { Processor } from '@nestjs/bull';
import { type DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { TaskHandler } from './task-handler.decorator';
import { TaskHandlers } from './task-handlers';
import { type Payload, TASK_TYPES, type TaskType } from './task-types';
import { TaskWorkers } from './task-workers.service';
import type { WorkerHost } from './worker-host';

/** A processor class for one task type, its handler answering with the type and the payload it got. */
function processorOf<T extends TaskType>(type: T, queueName: string = type) {
  @Processor(queueName)
  class OneProcessor {
    @TaskHandler(type)
    async handle(params: Payload<T>): Promise<unknown> {
      return { type, params };
    }
  }
  Object.defineProperty(OneProcessor, 'name', { value: `${type}Processor` });
  return new OneProcessor();
}

const ALL: readonly TaskType[] = TASK_TYPES;

function handlersOver(instances: object[]): TaskHandlers {
  const discovery = {
    getProviders: () => [...instances, undefined, 'a value'].map((instance) => ({ instance })),
  } as unknown as DiscoveryService;
  return new TaskHandlers(discovery, new MetadataScanner(), new Reflector());
}

describe(TaskHandlers.name, () => {
  it('finds the one @TaskHandler() of every task type, bound to its processor', async () => {
    const handlers = handlersOver(ALL.map((type) => processorOf(type))).resolve();
    expect([...handlers.keys()].sort()).toEqual([...ALL].sort());
    const pullHosts = handlers.get('pull_hosts')!;
    expect(pullHosts.name).toBe('pull_hostsProcessor.handle');
    expect(await pullHosts.run({ monitor_id: 7 }, async () => undefined, { started: async () => undefined })).toEqual({
      type: 'pull_hosts',
      params: { monitor_id: 7 },
    });
  });

  it('fails naming each task type without a handler', () => {
    const some = ALL.filter((type) => type !== 'push_item' && type !== 'pull_item');
    expect(() => handlersOver(some.map((type) => processorOf(type))).resolve()).toThrow(
      "Task handlers: task type pull_item has no @TaskHandler('pull_item'); task type push_item has no @TaskHandler('push_item')",
    );
  });

  it('fails naming both handlers of a task type that has two', () => {
    const twice = [...ALL.map((type) => processorOf(type)), processorOf('generate_alerts')];
    expect(() => handlersOver(twice).resolve()).toThrow(
      'task type generate_alerts has 2 handlers: generate_alertsProcessor.handle, generate_alertsProcessor.handle',
    );
  });

  it("fails naming a handler whose class's @Processor() names another queue", () => {
    const instances = ALL.map((type) => (type === 'push_host' ? processorOf(type, 'push_item') : processorOf(type)));
    expect(() => handlersOver(instances).resolve()).toThrow(
      "push_hostProcessor.handle handles push_host but its class is not @Processor('push_host')",
    );
  });
});

describe(TaskWorkers.name, () => {
  function workers(role: string, found: TaskHandlers): TaskWorkers {
    const host = { runsWorkers: role !== 'api' } as WorkerHost;
    const config = { role } as AppConfig;
    return new TaskWorkers(config, host, found, {} as never, {} as never, {} as never, {} as never);
  }

  it('does not boot a worker whose task types lack a handler', () => {
    expect(() => workers('worker', handlersOver([])).onModuleInit()).toThrow('task type pull_hosts has no');
    expect(() => workers('all', handlersOver([])).onModuleInit()).toThrow('task type pull_hosts has no');
  });

  it('boots an API process without any handler', () => {
    expect(() => workers('api', handlersOver([])).onModuleInit()).not.toThrow();
  });
});
