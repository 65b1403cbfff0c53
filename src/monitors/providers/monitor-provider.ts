/**
 * What the sync services need from a monitoring server, whatever its kind. Zabbix implements it today; a
 * Prometheus or SNMP provider slots in by implementing the same interface and registering its type.
 */
export const MONITOR_TYPES = ['zabbix'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];

/** The monitor a call is made for: where it is, how to log in, and the session cached from an earlier login. */
export interface MonitorTarget {
  monitorId: number;
  url: string;
  username: string;
  password: string;
  /** The session token kept from an earlier login, if any. */
  authToken?: string | null;
}

export interface RemoteGroup {
  externalId: string;
  name: string;
}

export interface RemoteHost {
  externalId: string;
  /** Technical host name (Zabbix `host`). */
  host: string;
  /** Visible name (Zabbix `name`, which defaults to `host`). */
  name: string;
  description: string;
  /** Monitored on the server (Zabbix status "0"). */
  enabled: boolean;
  /** The main interface's IP, or its DNS name when it connects by DNS; null without interfaces. */
  ipAddr: string | null;
  groups: RemoteGroup[];
}

export interface RemoteItem {
  externalId: string;
  externalHostId: string;
  name: string;
  key: string;
  valueType: number;
  lastValue: string | null;
  units: string;
  enabled: boolean;
  /** When lastValue was collected, or null when never. */
  lastClock: Date | null;
}

export interface HostDraft {
  name: string;
  description: string;
  ipAddr: string | null;
  enabled: boolean;
  /** The group the host belongs to, by name: found on the server or created. */
  groupName: string;
}

export interface ItemDraft {
  name: string;
  key: string;
  valueType: number;
  units: string;
  description: string;
  enabled: boolean;
}

/** Reports a session token the provider (re-)acquired, so the caller can keep it for the next call. */
export type TokenListener = (monitorId: number, token: string | null) => void | Promise<void>;

export interface MonitorProvider {
  readonly type: MonitorType;
  /** Who is told when a monitor's session token changes (null: the session ended and none could be had). */
  setTokenListener(listener: TokenListener | undefined): void;
  /** Logs in (or reuses the session) and returns the server's version. */
  check(target: MonitorTarget): Promise<{ version: string }>;
  /** All hosts, or only those with the given external ids. */
  listHosts(target: MonitorTarget, externalIds?: string[]): Promise<RemoteHost[]>;
  /** Items of many hosts, fetched in batches of hosts per call rather than one call per host. */
  listItems(target: MonitorTarget, externalHostIds: string[]): Promise<RemoteItem[]>;
  /**
   * The same items, handed over one batch (one call) at a time, so a caller can store each batch before the
   * next is fetched and a big monitor syncs in bounded memory.
   */
  listItemBatches(target: MonitorTarget, externalHostIds: string[]): AsyncIterable<RemoteItem[]>;
  /** Items by their own external ids. */
  getItems(target: MonitorTarget, externalItemIds: string[]): Promise<RemoteItem[]>;
  createHost(target: MonitorTarget, draft: HostDraft): Promise<string>;
  updateHost(target: MonitorTarget, externalId: string, draft: HostDraft): Promise<void>;
  createItem(target: MonitorTarget, externalHostId: string, draft: ItemDraft): Promise<string>;
  updateItem(target: MonitorTarget, externalId: string, draft: ItemDraft): Promise<void>;
}
