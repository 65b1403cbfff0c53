import type { Response } from 'supertest';
import { ids, messageOf } from './http';

type Query = Record<string, string | number>;

export interface ListEndpoint {
  /** Lists the route with these query parameters (the suite's own client, so its checks see the answers too). */
  list(query: Query): Promise<Response>;
  /**
   * Runs once before the cases: seeds the rows and answers the query that lists exactly those (at least three)
   * and their ids in the order the route lists them.
   */
  seed(): Promise<{ query: Query; ids: number[] }>;
  /** The route's own refusals beside the paging ones: a query, and what its 400's message must contain. */
  refused?: [Query, string][];
}

/** What every paged list refuses with a 400 naming the parameter. */
const PAGING_REFUSED: [Query, string][] = [
  [{ limit: 0 }, 'limit'],
  [{ limit: 501 }, 'limit'],
  [{ limit: 'abc' }, 'limit'],
  [{ limit: 1.5 }, 'limit'],
  [{ offset: -1 }, 'offset'],
  [{ offset: 'x' }, 'offset'],
  [{ page: 2 }, 'page'],
];

/**
 * The cases every paged list route shares (`{items, total, limit, offset}`, README "Lists"): the default page,
 * limit and offset with a total that counts every match, an empty page past the end, and a 400 naming each bad
 * paging parameter, an unknown one, and the route's own refused filters.
 */
export function describeListEndpoint(route: string, endpoint: ListEndpoint): void {
  describe(`${route}: a paged list`, () => {
    let query: Query;
    let seeded: number[];

    beforeAll(async () => {
      ({ query, ids: seeded } = await endpoint.seed());
      if (seeded.length < 3) throw new Error(`the list suite of ${route} needs three rows, seeded ${seeded.length}`);
    });

    const page = async (extra: Query) => {
      const res = await endpoint.list({ ...query, ...extra });
      expect(res.status).toBe(200);
      return res;
    };

    it('answers a page {items, total, limit, offset}: 50 from offset 0 by default', async () => {
      const res = await page({});
      expect(res.body).toEqual({ items: expect.any(Array), total: seeded.length, limit: 50, offset: 0 });
      expect(ids(res)).toEqual(seeded.slice(0, 50));
    });

    it('pages with limit and offset, the total counting every match', async () => {
      const all = (await page({ limit: 500 })).body.items;
      const res = await page({ limit: 2, offset: 1 });
      expect(res.body).toEqual({ items: all.slice(1, 3), total: seeded.length, limit: 2, offset: 1 });
      expect(ids(res)).toEqual(seeded.slice(1, 3));
      expect(ids(await page({ limit: 1, offset: seeded.length - 1 }))).toEqual(seeded.slice(-1));
    });

    it('answers an empty page past the end, with the total', async () => {
      const res = await page({ offset: seeded.length });
      expect(res.body).toEqual({ items: [], total: seeded.length, limit: 50, offset: seeded.length });
      const far = await page({ limit: 2, offset: seeded.length + 10 });
      expect(far.body).toEqual({ items: [], total: seeded.length, limit: 2, offset: seeded.length + 10 });
    });

    it.each([...PAGING_REFUSED, ...(endpoint.refused ?? [])])('refuses %p with 400 saying %p', async (bad, text) => {
      const res = await endpoint.list(bad);
      expect(res.status).toBe(400);
      expect(messageOf(res)).toContain(text);
    });
  });
}
