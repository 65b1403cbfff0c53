import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ReadRepository } from '../../database/read-repository';
import { Monitor } from '../entities/monitor.entity';
import { MonitorsService } from './monitors.service';
import { MonitorsWriter } from './monitors-writer';

/** What a token starts with, so one found in a log or a config is recognised. */
const PREFIX = 'nge_';

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * A monitor's event token: what its webhook media type sends to POST /monitors/:id/events. 32 random bytes, shown
 * once when made; only its SHA-256 is stored (a token this long needs no slow hash), and making a new one
 * replaces the old.
 */
@Injectable()
export class EventTokens {
  constructor(
    @InjectRepository(Monitor) private readonly monitors: ReadRepository<Monitor>,
    private readonly service: MonitorsService,
    private readonly writer: MonitorsWriter,
  ) {}

  /** A new token for the monitor (404 when there is none); the previous one no longer authenticates. */
  async rotate(monitorId: number): Promise<string> {
    await this.service.get(monitorId);
    const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.writer.setEventTokenHash(monitorId, hashOf(token));
    return token;
  }

  /**
   * Whether `token` is the event token of the monitor: false for an unknown monitor as for a wrong token, so an
   * unauthenticated caller cannot tell which monitors exist. One indexed read of the hash, compared in constant time.
   */
  async check(monitorId: number, token: string | undefined): Promise<boolean> {
    const monitor = await this.monitors.findOne({
      where: { id: monitorId },
      select: { id: true, eventTokenHash: true },
    });
    const given = Buffer.from(hashOf(token ?? ''), 'hex');
    const stored = Buffer.from(monitor?.eventTokenHash ?? '', 'hex');
    return token !== undefined && given.length === stored.length && timingSafeEqual(given, stored);
  }
}
