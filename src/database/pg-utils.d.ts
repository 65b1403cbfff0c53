/** The value conversion `pg` applies to every query parameter (dates by `defaults.parseInputDatesAsUTC`). */
declare module 'pg/lib/utils' {
  export function prepareValue(value: unknown): unknown;
}
