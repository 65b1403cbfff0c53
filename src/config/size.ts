const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** `512kb`, `10mb` or `300b` (the validator has checked the form) in bytes. */
export function parseSizeBytes(size: string): number {
  const [, amount, unit] = /^(\d+)(b|kb|mb)$/i.exec(size) ?? [];
  if (amount === undefined) throw new Error(`not a size: ${size}`);
  return Number(amount) * UNITS[unit.toLowerCase()];
}
