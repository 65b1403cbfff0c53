import type { TransformFnParams } from 'class-transformer';

/** Query strings carry text: `true`/`1` and `false`/`0` become booleans; anything else is left for @IsBoolean to refuse. */
export function toBoolean({ value }: TransformFnParams): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}
