import { Injectable } from '@nestjs/common';
import { CredentialsCipher } from '../credentials-cipher';
import type { SessionTokenStore } from '../providers/monitor-provider';
import { MonitorsWriter } from './monitors-writer';

/** Keeps a provider's session token in the monitor's row, encrypted, for the next call from any process. */
@Injectable()
export class StoredSessionTokens implements SessionTokenStore {
  constructor(
    private readonly cipher: CredentialsCipher,
    private readonly writer: MonitorsWriter,
  ) {}

  keep(monitorId: number, token: string | null): Promise<void> {
    return this.writer.setAuthToken(monitorId, token ? this.cipher.encrypt(token) : null);
  }
}
