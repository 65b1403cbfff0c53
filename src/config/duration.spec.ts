import { parseDurationSeconds } from './duration';

describe(parseDurationSeconds.name, () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['24h', 86_400],
    ['7d', 604_800],
    ['2500ms', 2],
    [' 24h ', 86_400],
  ])('reads %p as %p seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['forever', '', '-5', '1.5h', '10w', 'h'])('rejects %p naming the text', (text) => {
    expect(() => parseDurationSeconds(text)).toThrow(`not a duration: ${text}`);
  });
});
