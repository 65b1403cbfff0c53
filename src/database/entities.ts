import { Alert } from '../alerts/entities/alert.entity';
import { User } from '../auth/users/user.entity';
import { HostGroup } from '../monitors/entities/host-group.entity';
import { Host } from '../monitors/entities/host.entity';
import { Item } from '../monitors/entities/item.entity';
import { Monitor } from '../monitors/entities/monitor.entity';

/** Every entity of the service; migrations must keep the schema equal to what these declare. */
export const ENTITIES = [User, Monitor, HostGroup, Host, Item, Alert];
