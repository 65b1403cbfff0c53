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
  /** Empty when the monitor authenticates with `apiToken`. */
  username: string;
  password: string;
  /** An API token used as is, instead of logging in with username and password. */
  apiToken?: string | null;
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
  description: string;
  enabled: boolean;
  /** When lastValue was collected, or null when never. */
  lastClock: Date | null;
  /** not_supported when the monitor cannot collect the item, with its reason in stateError. */
  state: 'normal' | 'not_supported';
  stateError: string;
}

/** An open problem on the monitor (a Zabbix trigger's problem event). */
export interface RemoteProblem {
  /** The problem event's id (Zabbix eventid). */
  eventId: string;
  name: string;
  /** The monitor's own severity (Zabbix 0 not classified … 5 disaster). */
  severity: number;
  acknowledged: boolean;
  /** When the problem began. */
  clock: Date;
  /** The host and item of the problem's trigger, by their ids on the monitor. */
  externalHostId: string | null;
  externalItemId: string | null;
}

/** What became of a problem: resolved at that time, or still open (null). */
export interface ProblemResolution {
  eventId: string;
  resolvedAt: Date | null;
}

export interface HostDraft {
  name: string;
  /**
   * The technical name (Zabbix `host`) to give the host; null leaves the one it has on the server, or, for a new
   * host, derives one from `name` (as `technicalName` does).
   */
  technicalName: string | null;
  description: string;
  ipAddr: string | null;
  enabled: boolean;
  /** Every group the host belongs to, by name: found on the server or created. At least one. */
  groupNames: string[];
}

export interface ItemDraft {
  name: string;
  key: string;
  valueType: number;
  units: string;
  description: string;
  enabled: boolean;
}

/**
 * Where a provider keeps the session token it (re-)acquires, so the next call, from any process, reuses it rather
 * than logging in again. The kept token comes back with the monitor, in MonitorTarget.authToken.
 */
export interface SessionTokenStore {
  /** Keeps the monitor's new token; null drops it (the session ended and no new one could be had). */
  keep(monitorId: number, token: string | null): Promise<void>;
}

/** Nest token for the SessionTokenStore the monitors module provides to the providers. */
export const SESSION_TOKEN_STORE = Symbol('SESSION_TOKEN_STORE');

/** A host on the monitor, by its external id, and how many items it has there (undefined: the monitor did not say). */
export interface HostSize {
  externalId: string;
  items?: number;
}

/**
 * Writes (create, update, delete) throw MonitorRejectedObjectError when the server refuses the object itself, and
 * the UpstreamError kinds when the server cannot be reached or refuses the credentials.
 */
export interface MonitorProvider {
  readonly type: MonitorType;
  /** The technical name the monitor would give a host with this visible name when it is created without one. */
  technicalName(visibleName: string): string;
  /** Logs in (or reuses the session) and returns the server's version. */
  check(target: MonitorTarget): Promise<{ version: string }>;
  /** All hosts, or only those with the given external ids. */
  listHosts(target: MonitorTarget, externalIds?: string[]): Promise<RemoteHost[]>;
  /**
   * The external ids of all hosts, with how many items each has where the monitor says, and nothing else of them: a
   * sync of a big monitor pages through them, asking for a page of hosts (listHosts) and their items at a time, so no
   * reply holds every host, and sizes its item calls by the counts.
   */
  listHostSizes(target: MonitorTarget): Promise<HostSize[]>;
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
  /** Deletes the host (with its items) on the server; false when the server no longer had it. */
  deleteHost(target: MonitorTarget, externalId: string): Promise<boolean>;
  /** Deletes the item on the server; false when the server no longer had it. */
  deleteItem(target: MonitorTarget, externalId: string): Promise<boolean>;
  /** The monitor's open problems, with the host and item they are about. */
  listProblems(target: MonitorTarget): Promise<RemoteProblem[]>;
  /** Whether, and when, the monitor closed these problems (by event id). */
  problemResolutions(target: MonitorTarget, eventIds: string[]): Promise<ProblemResolution[]>;
  /** Acknowledges the problem on the monitor, leaving the message there. */
  acknowledgeProblem(target: MonitorTarget, eventId: string, message: string): Promise<void>;
}
