import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { processorQueueName } from './bull-internals';
import { TASK_HANDLER, type TaskHandlerMethod } from './task-handler.decorator';
import { TASK_TYPES, type TaskType } from './task-types';

/** A discovered handler: where it is, and the call bound to its processor instance. */
export interface FoundHandler {
  name: string;
  run: TaskHandlerMethod<TaskType>;
}

/**
 * Finds the @TaskHandler() methods of the app's providers, and fails naming every task type without exactly one,
 * and any handler whose class is not `@Processor(<its task type>)`, so a reader can follow a task from its queue
 * to its handler.
 */
@Injectable()
export class TaskHandlers {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Exactly one handler per task type, or an Error that names what is missing, doubled or misplaced. */
  resolve(): Map<TaskType, FoundHandler> {
    const found = new Map<TaskType, FoundHandler[]>(TASK_TYPES.map((type) => [type, []]));
    const problems: string[] = [];
    for (const { instance } of this.discovery.getProviders()) {
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const type = this.reflector.get<TaskType | undefined>(TASK_HANDLER, prototype[method] as () => unknown);
        if (!type) continue;
        const name = `${instance.constructor.name}.${method}`;
        const queue = processorQueueName(instance.constructor);
        if (queue !== type) problems.push(`${name} handles ${type} but its class is not @Processor('${type}')`);
        const run = (prototype[method] as TaskHandlerMethod<TaskType>).bind(instance);
        found.get(type)?.push({ name, run });
      }
    }
    for (const [type, handlers] of found) {
      if (handlers.length === 0) problems.push(`task type ${type} has no @TaskHandler('${type}')`);
      if (handlers.length > 1) problems.push(`task type ${type} has ${handlers.length} handlers: ${names(handlers)}`);
    }
    if (problems.length > 0) throw new Error(`Task handlers: ${problems.join('; ')}`);
    return new Map([...found].map(([type, handlers]) => [type, handlers[0]]));
  }
}

const names = (handlers: FoundHandler[]) => handlers.map((handler) => handler.name).join(', ');
