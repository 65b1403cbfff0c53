/** A LIKE pattern matching `text` anywhere, with the user's own % and _ taken literally. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Case-insensitive "any of these columns contains :param", the same on SQLite and PostgreSQL. */
export function containsAny(columns: string[], param: string): string {
  return `(${columns.map((column) => `LOWER(${column}) LIKE :${param} ESCAPE '\\'`).join(' OR ')})`;
}
