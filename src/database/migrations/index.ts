import { CreateUsers1764201600000 } from './1764201600000-create-users';
import { CreateInventory1764288000000 } from './1764288000000-create-inventory';
import { CreateAlerts1764374400000 } from './1764374400000-create-alerts';
import { DropItemsHostIdIndex1764460800000 } from './1764460800000-drop-items-host-id-index';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const MIGRATIONS = [
  CreateUsers1764201600000,
  CreateInventory1764288000000,
  CreateAlerts1764374400000,
  DropItemsHostIdIndex1764460800000,
];
