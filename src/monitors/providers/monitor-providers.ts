import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../common/http/domain-error';
import { MONITOR_TYPES, type MonitorProvider, type MonitorType } from './monitor-provider';

export const MONITOR_PROVIDERS = Symbol('MONITOR_PROVIDERS');

/** Finds the provider for a monitor's type; every supported type must have exactly one. */
@Injectable()
export class MonitorProviders {
  private readonly byType = new Map<MonitorType, MonitorProvider>();

  constructor(@Inject(MONITOR_PROVIDERS) providers: MonitorProvider[]) {
    for (const provider of providers) this.byType.set(provider.type, provider);
    const missing = MONITOR_TYPES.filter((type) => !this.byType.has(type));
    if (missing.length > 0) throw new Error(`No monitor provider registered for: ${missing.join(', ')}`);
  }

  for(type: string): MonitorProvider {
    const provider = this.byType.get(type as MonitorType);
    if (!provider)
      throw new InvalidInputError(`Unsupported monitor type ${type}; supported: ${MONITOR_TYPES.join(', ')}`);
    return provider;
  }
}
