import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ReadRepository } from '../../database/read-repository';
import { CredentialsCipher } from '../credentials-cipher';
import { Monitor } from '../entities/monitor.entity';
import { MonitorsWriter, SEALED_FIELDS } from './monitors-writer';

/**
 * After a key change (credentials.key set, or rotated with credentials.previous_key), seals again under the
 * current key every monitor credential that only a previous key opens, so the previous key can then be dropped.
 * Runs in the background at start; every process may run it at once, each replacement being compare-and-set.
 */
@Injectable()
export class CredentialsReseal implements OnApplicationBootstrap {
  private readonly logger = new Logger('credentials');
  /** Settles when the pass of this start is over (tests wait on it). */
  done: Promise<number> = Promise.resolve(0);

  constructor(
    @InjectRepository(Monitor) private readonly monitors: ReadRepository<Monitor>,
    private readonly cipher: CredentialsCipher,
    private readonly writer: MonitorsWriter,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.cipher.hasPreviousKeys) return;
    this.done = this.resealAll().catch((error: Error) => {
      this.logger.warn(`monitor credentials not resealed under the current key: ${error.message}`);
      return 0;
    });
  }

  private async resealAll(): Promise<number> {
    const monitors = await this.monitors.find({
      select: { id: true, passwordEncrypted: true, apiTokenEncrypted: true, authTokenEncrypted: true },
    });
    let resealed = 0;
    for (const monitor of monitors) {
      for (const field of SEALED_FIELDS) {
        const sealed = monitor[field];
        if (!sealed || !this.cipher.isSealedUnderPreviousKey(sealed)) continue;
        const fresh = this.cipher.encrypt(this.cipher.decrypt(sealed));
        if (await this.writer.reseal(monitor.id, field, sealed, fresh)) resealed += 1;
      }
    }
    if (resealed > 0) this.logger.log(`resealed ${resealed} monitor credentials under the current key`);
    return resealed;
  }
}
