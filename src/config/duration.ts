const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `3600`, `90s`, `15m`, `24h` or `7d` into whole seconds (a bare number is seconds). */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text}`);
  return Math.floor(Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']);
}
