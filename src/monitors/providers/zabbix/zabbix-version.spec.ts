import { ZabbixVersion } from './zabbix-version';

describe(ZabbixVersion.name, () => {
  const version = (text: string) => ZabbixVersion.parse(text) as ZabbixVersion;

  it('parses what apiinfo.version answers and refuses anything else', () => {
    expect(version('6.0.14')).toMatchObject({ text: '6.0.14', major: 6, minor: 0 });
    expect(version('7.0.0rc1')).toMatchObject({ major: 7, minor: 0 });
    expect(ZabbixVersion.parse('six')).toBeNull();
    expect(ZabbixVersion.parse(6)).toBeNull();
  });

  it.each([
    ['5.2.7', false, 'user', 'selectGroups'],
    ['5.4.0', false, 'username', 'selectGroups'],
    ['6.0.14', false, 'username', 'selectGroups'],
    ['6.2.0', false, 'username', 'selectHostGroups'],
    ['6.4.0', true, 'username', 'selectHostGroups'],
    ['7.0.5', true, 'username', 'selectHostGroups'],
  ])('%s: token in header %s, login field %s, %s', (text, header, loginField, groups) => {
    expect(version(text).tokenInHeader).toBe(header);
    expect(version(text).loginNameField).toBe(loginField);
    expect(version(text).hostGroupsSelector.param).toBe(groups);
  });
});
