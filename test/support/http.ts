/** An error answer's `message` (a string, or one per refused field) as one string to search for a field name. */
export function messageOf(res: { body: { message?: unknown } }): string {
  return JSON.stringify(res.body.message);
}

/** The ids of a list page's items, in the order the page gives them. */
export function ids(res: { body: { items: { id: number }[] } }): number[] {
  return res.body.items.map((row) => row.id);
}
