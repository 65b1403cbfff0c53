/** A Zabbix API version as `apiinfo.version` reports it ("6.0.14"), and what each version expects of a client. */
export class ZabbixVersion {
  private constructor(
    readonly text: string,
    readonly major: number,
    readonly minor: number,
  ) {}

  /** Null when the text is not a version (the caller turns that into a malformed-reply error). */
  static parse(text: unknown): ZabbixVersion | null {
    if (typeof text !== 'string') return null;
    const match = /^(\d+)\.(\d+)(?:\.\d+)?/.exec(text.trim());
    return match ? new ZabbixVersion(text.trim(), Number(match[1]), Number(match[2])) : null;
  }

  atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }

  /** 6.4 takes `Authorization: Bearer` and rejects `auth` in the body; older servers only read the body. */
  get tokenInHeader(): boolean {
    return this.atLeast(6, 4);
  }

  /** `user.login` says `username` from 5.4 on, `user` before. */
  get loginNameField(): 'username' | 'user' {
    return this.atLeast(5, 4) ? 'username' : 'user';
  }

  /** `host.get` has `selectHostGroups` (answered as `hostgroups`) from 6.2; `selectGroups` before. */
  get hostGroupsSelector(): { param: 'selectHostGroups' | 'selectGroups'; field: 'hostgroups' | 'groups' } {
    return this.atLeast(6, 2)
      ? { param: 'selectHostGroups', field: 'hostgroups' }
      : { param: 'selectGroups', field: 'groups' };
  }

  /** item.get has `name_resolved` (the name with user macros expanded, as the frontend shows it) from 7.0. */
  get itemNameResolved(): boolean {
    return this.atLeast(7, 0);
  }

  toString(): string {
    return this.text;
  }
}
