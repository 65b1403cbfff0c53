import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { signatureOf, WEBHOOK_SECRET_FILE, WebhookSigner } from './webhook-signer';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function signer(production: boolean, secret?: string): { signer: WebhookSigner; dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'nagare-webhook-'));
  dirs.push(dataDir);
  const config = { production, dataDir, webhook: { secret } } as unknown as AppConfig;
  return { signer: new WebhookSigner(config), dataDir };
}

describe('WebhookSigner', () => {
  it('signs with the configured secret: sha256=<hex HMAC-SHA256 of the body>', () => {
    const body = '{"event":"task.completed"}';
    const { signer: s } = signer(true, 'configured-secret-123456');
    const expected = createHmac('sha256', 'configured-secret-123456').update(body).digest('hex');
    expect(s.enabled).toBe(true);
    expect(s.sign(body)).toBe(`sha256=${expected}`);
    expect(signatureOf(body, 'configured-secret-123456')).toBe(`sha256=${expected}`);
    expect(s.sign(`${body} `)).not.toBe(`sha256=${expected}`);
  });

  it('outside production generates a secret into the data dir (0600) on first use and keeps using it', () => {
    const { signer: s, dataDir } = signer(false);
    expect(s.enabled).toBe(true);
    const first = s.sign('x');
    const file = join(dataDir, WEBHOOK_SECRET_FILE);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first).toBe(signatureOf('x', secret));
    const again = new WebhookSigner({ production: false, dataDir, webhook: {} } as unknown as AppConfig);
    expect(again.sign('x')).toBe(first);
  });

  it('in production without a secret is disabled and generates nothing', () => {
    const { signer: s, dataDir } = signer(true);
    expect(s.enabled).toBe(false);
    expect(() => s.sign('x')).toThrow(/WEBHOOK_SECRET/);
    expect(() => statSync(join(dataDir, WEBHOOK_SECRET_FILE))).toThrow();
  });
});
