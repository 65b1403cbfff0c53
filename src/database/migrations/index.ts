import { CreateUsers1764201600000 } from './1764201600000-create-users';
import { CreateInventory1764288000000 } from './1764288000000-create-inventory';
import { CreateAlerts1764374400000 } from './1764374400000-create-alerts';
import { DropItemsHostIdIndex1764460800000 } from './1764460800000-drop-items-host-id-index';
import { UsernamesCaseInsensitive1764547200000 } from './1764547200000-usernames-case-insensitive';
import { MonitorApiTokens1764633600000 } from './1764633600000-monitor-api-tokens';
import { ItemClockAndState1764720000000 } from './1764720000000-item-clock-and-state';
import { ItemSyncHash1764806400000 } from './1764806400000-item-sync-hash';
import { HostGroupsAndTechnicalName1765000000000 } from './1765000000000-host-groups-and-technical-name';
import { AlertSources1765100000000 } from './1765100000000-alert-sources';
import { MonitorEventTokens1765100100000 } from './1765100100000-monitor-event-tokens';
import { AlertAcknowledgementSent1765200000000 } from './1765200000000-alert-acknowledgement-sent';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const MIGRATIONS = [
  CreateUsers1764201600000,
  CreateInventory1764288000000,
  CreateAlerts1764374400000,
  DropItemsHostIdIndex1764460800000,
  UsernamesCaseInsensitive1764547200000,
  MonitorApiTokens1764633600000,
  ItemClockAndState1764720000000,
  ItemSyncHash1764806400000,
  HostGroupsAndTechnicalName1765000000000,
  AlertSources1765100000000,
  MonitorEventTokens1765100100000,
  AlertAcknowledgementSent1765200000000,
];
