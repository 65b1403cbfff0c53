import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's minimum parameters (19 MiB, 2 passes); hashing runs off the event loop. */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

@Injectable()
export class PasswordHasher {
  /** Verified against when the user does not exist, so an unknown name costs as long as a wrong password. */
  private decoy?: Promise<string>;

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(encoded: string | undefined, password: string): Promise<boolean> {
    if (!encoded) {
      this.decoy ??= this.hash('decoy password that matches no one');
      await verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return verify(encoded, password).catch(() => false);
  }
}
