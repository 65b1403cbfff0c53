import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConflictError } from '../common/http/domain-error';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A stored password or API token that none of the configured keys opens: the key it was sealed under was changed
 * (jwt.secret without credentials.key, or credentials.key without credentials.previous_key). Final: only new
 * credentials fix it.
 */
export class CredentialsUnreadableError extends ConflictError {
  override readonly final = true;
}

/** The key for a secret, derived with HKDF under its own label, so it is never the secret (e.g. the JWT key) itself. */
const deriveKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, 'nagare', 'monitor-credentials-v1', 32));

/**
 * Encrypts monitor credentials at rest with AES-256-GCM. Unlike user passwords they cannot be hashed: the
 * service must send them to the monitor. It seals under the current key and opens with the current key or any
 * previous one, so a key can change without losing what was sealed under the old one (CredentialsReseal moves
 * those to the current key).
 */
export class CredentialsCipher {
  private readonly current: Buffer;
  private readonly previous: Buffer[];

  constructor(currentSecret: string, previousSecrets: readonly string[] = []) {
    this.current = deriveKey(currentSecret);
    this.previous = previousSecrets.filter((secret) => secret !== currentSecret).map(deriveKey);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** The plain text; CredentialsUnreadableError when no configured key opens it. */
  decrypt(sealed: string): string {
    for (const key of [this.current, ...this.previous]) {
      const plain = open(sealed, key);
      if (plain !== undefined) return plain;
    }
    throw new CredentialsUnreadableError(
      'The stored monitor credentials cannot be decrypted: the key they were sealed under changed (jwt.secret, or ' +
        'credentials.key without credentials.previous_key). Send username and password, or api_token, again',
    );
  }

  get hasPreviousKeys(): boolean {
    return this.previous.length > 0;
  }

  /** True when the value opens only with a previous key, so it should be sealed again under the current one. */
  isSealedUnderPreviousKey(sealed: string): boolean {
    return open(sealed, this.current) === undefined && this.previous.some((key) => open(sealed, key) !== undefined);
  }
}

function open(sealed: string, key: Buffer): string | undefined {
  const [version, payload] = sealed.split(':', 2);
  if (version !== VERSION || !payload) return undefined;
  try {
    const raw = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
