import { CredentialsCipher } from './credentials-cipher';

describe(CredentialsCipher.name, () => {
  const cipher = new CredentialsCipher('a'.repeat(48));

  it('round-trips a password without storing it in the clear', () => {
    const sealed = cipher.encrypt('zabbix-password');
    expect(sealed).not.toContain('zabbix-password');
    expect(cipher.decrypt(sealed)).toBe('zabbix-password');
  });

  it('uses a fresh nonce every time', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('refuses a tampered value and a value sealed under another secret', () => {
    const sealed = cipher.encrypt('secret');
    const tampered = `${sealed.slice(0, -4)}AAAA`;
    expect(() => cipher.decrypt(tampered)).toThrow();
    expect(() => new CredentialsCipher('b'.repeat(48)).decrypt(sealed)).toThrow();
  });
});
