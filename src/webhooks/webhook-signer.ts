import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

export const WEBHOOK_SECRET_FILE = 'webhook-secret';

/** `sha256=<hex HMAC-SHA256 of the raw body>`: the X-Nagare-Signature header. */
export function signatureOf(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Signs deliveries with `webhook.secret`. Outside production, when none is configured, one is generated once
 * into `<data.dir>/webhook-secret` (mode 0600) for the receivers to be given; in production there is none, and
 * callback URLs are refused at enqueue, since nobody could verify what the service would sign.
 */
@Injectable()
export class WebhookSigner {
  private secret?: string;
  private readonly mayGenerate: boolean;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.secret = config.webhook.secret;
    this.mayGenerate = !config.production;
  }

  /** Whether deliveries can be signed (so callback URLs may be accepted). */
  get enabled(): boolean {
    return this.secret !== undefined || this.mayGenerate;
  }

  sign(body: string): string {
    return signatureOf(body, this.currentSecret());
  }

  private currentSecret(): string {
    if (this.secret) return this.secret;
    if (!this.mayGenerate) throw new Error('webhook.secret (WEBHOOK_SECRET) is not set');
    this.secret = loadOrCreateWebhookSecret(this.config.dataDir);
    return this.secret;
  }
}

/** The data dir's webhook secret, created on first use; `wx` makes two processes starting together agree on one. */
export function loadOrCreateWebhookSecret(dataDir: string): string {
  const file = join(dataDir, WEBHOOK_SECRET_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 16) throw new Error(`${file} holds a secret shorter than 16 characters; delete it to regenerate`);
  return secret;
}
