import { ServiceUnavailableError } from '../common/http/domain-error';
import { REDIS_UNAVAILABLE, redisReply } from './bounded';

describe(redisReply.name, () => {
  it.each(['connecting', 'reconnecting', 'close', 'end'])(
    'fails at once with 503 while the connection is %s, without starting the work',
    async (status) => {
      let started = false;
      const answer = redisReply({ status }, async () => (started = true));
      await expect(answer).rejects.toEqual(new ServiceUnavailableError(REDIS_UNAVAILABLE));
      expect(started).toBe(false);
    },
  );

  it('answers with what the work returns on a ready connection', async () => {
    await expect(redisReply({ status: 'ready' }, async () => 'OK')).resolves.toBe('OK');
  });

  it('fails with 503 once the timeout passes on a ready connection that does not answer', async () => {
    const started = Date.now();
    const stalled = redisReply({ status: 'ready' }, () => new Promise(() => undefined), 50);
    await expect(stalled).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('lets the error of the work through, so a 404 stays a 404', async () => {
    const error = new Error('Dead letter pull_hosts:1 not found');
    await expect(redisReply({ status: 'ready' }, () => Promise.reject(error))).rejects.toBe(error);
  });
});
