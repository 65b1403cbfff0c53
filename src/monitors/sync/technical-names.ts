import { ConflictError } from '../../common/http/domain-error';
import type { Host } from '../entities/host.entity';
import type { HostNameTakenError } from '../providers/provider-errors';
import type { HostsService } from '../services/hosts.service';

/** Another host of the monitor has the technical name a push would give this one; retrying cannot help. */
export class TechnicalNameTakenError extends ConflictError {
  override readonly final = true;
}

/** The host that has the name: one of ours (with its id), or one only the monitor knows (with its id there). */
interface NameHolder {
  id: number | null;
  name: string;
  externalId: string | null;
}

/** Refuses, before the monitor is called, a technical name another host of the monitor has here. */
export async function assertTechnicalNameFree(
  hosts: HostsService,
  monitorId: number,
  host: Host,
  technicalName: string,
): Promise<void> {
  const holder = await hosts.technicalNameHolder(monitorId, technicalName, host.id);
  if (holder) throw technicalNameTaken(monitorId, host, technicalName, holder);
}

/** The monitor refused the technical name: the 409 names the host that has it there, by our id when we know it. */
export async function nameTakenOnMonitor(
  hosts: HostsService,
  monitorId: number,
  host: Host,
  error: HostNameTakenError,
): Promise<TechnicalNameTakenError> {
  const remote = error.holder;
  if (!remote) return technicalNameTaken(monitorId, host, error.technicalName, null);
  const local = await hosts.findByExternalId(monitorId, remote.externalId);
  return technicalNameTaken(monitorId, host, error.technicalName, {
    id: local?.id ?? null,
    name: local?.name ?? remote.name,
    externalId: remote.externalId,
  });
}

/** The 409 for a push of `host` whose technical name `holder` already has, naming both hosts. */
function technicalNameTaken(
  monitorId: number,
  host: Host,
  technicalName: string,
  holder: NameHolder | null,
): TechnicalNameTakenError {
  let held = 'another host of the monitor';
  if (holder?.id != null) held = `host ${holder.id} "${holder.name}"`;
  else if (holder) held = `the monitor's host "${holder.name}" (id ${holder.externalId} there)`;
  return new TechnicalNameTakenError(
    `Host ${host.id} "${host.name}" cannot be pushed to monitor ${monitorId}: its technical name "${technicalName}" ` +
      `is already taken by ${held}. Give it another technical_name.`,
  );
}
