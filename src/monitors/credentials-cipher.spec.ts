import { CredentialsCipher, CredentialsUnreadableError } from './credentials-cipher';

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

  it('refuses a tampered value and a value sealed under another secret, as unreadable credentials', () => {
    const sealed = cipher.encrypt('secret');
    const tampered = `${sealed.slice(0, -4)}AAAA`;
    expect(() => cipher.decrypt(tampered)).toThrow(CredentialsUnreadableError);
    expect(() => new CredentialsCipher('b'.repeat(48)).decrypt(sealed)).toThrow(CredentialsUnreadableError);
    expect(() => cipher.decrypt('v9:whatever')).toThrow(CredentialsUnreadableError);
  });

  it('opens what a previous key sealed, seals under the current one, and says which values to seal again', () => {
    const old = cipher.encrypt('sealed-under-a');
    const rotated = new CredentialsCipher('c'.repeat(48), ['a'.repeat(48)]);
    expect(rotated.decrypt(old)).toBe('sealed-under-a');
    expect(rotated.isSealedUnderPreviousKey(old)).toBe(true);

    const fresh = rotated.encrypt('sealed-under-c');
    expect(rotated.isSealedUnderPreviousKey(fresh)).toBe(false);
    expect(() => cipher.decrypt(fresh)).toThrow(CredentialsUnreadableError);
    expect(new CredentialsCipher('c'.repeat(48)).decrypt(fresh)).toBe('sealed-under-c');
  });

  it('does not call a value no key opens sealed under a previous key', () => {
    const stranger = new CredentialsCipher('d'.repeat(48)).encrypt('x');
    expect(new CredentialsCipher('c'.repeat(48), ['a'.repeat(48)]).isSealedUnderPreviousKey(stranger)).toBe(false);
  });
});
