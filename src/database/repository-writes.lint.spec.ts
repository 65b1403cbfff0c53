import { ESLint } from 'eslint';

/** The ESLint rule that keeps repository writes in the designated writers, run on snippets through ESLint's API. */
describe('repository writes lint rule', () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  /** The snippets use `any` freely; only these rules are under test. */
  const RULES = ['no-restricted-syntax', 'no-restricted-imports'];

  async function problems(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath });
    return result.messages
      .filter((message) => RULES.includes(message.ruleId ?? ''))
      .map((message) => `${message.ruleId}: ${message.message}`);
  }

  const service = 'src/monitors/services/example.service.ts';

  it.each([
    ['a repository save', 'export const f = (hosts: any, host: any) => hosts.save(host);'],
    ['a repository insert', 'export const f = (alerts: any) => alerts.insert({});'],
    ['an upsert', 'export const f = (items: any) => items.upsert({}, ["id"]);'],
    ['an update on a manager', 'export const f = (manager: any) => manager.update("Host", { id: 1 }, {});'],
    ['a delete through a data source manager', 'export const f = (ds: any) => ds.manager.delete("Host", { id: 1 });'],
    [
      'an update built by a query builder',
      'export const f = (r: any) => r.createQueryBuilder().update("Host").execute();',
    ],
    ['a remove through getRepository', 'export const f = (ds: any, h: any) => ds.getRepository("Host").remove(h);'],
  ])('flags %s in a service', async (_name, code) => {
    expect(await problems(service, code)).toEqual([expect.stringContaining('no-restricted-syntax')]);
  });

  it('flags importing Repository in a service, and an EntityManager that is not type-only', async () => {
    expect(
      await problems(service, "import { Repository } from 'typeorm';\nexport type R = Repository<object>;\n"),
    ).toEqual([expect.stringContaining('no-restricted-imports')]);
    expect(
      await problems(service, "import { EntityManager } from 'typeorm';\nexport const m = EntityManager;\n"),
    ).toEqual([expect.stringContaining('no-restricted-imports')]);
    expect(
      await problems(service, "import type { EntityManager } from 'typeorm';\nexport type M = EntityManager;\n"),
    ).toEqual([]);
  });

  it('lets a writer write, and a service call its writer or an unrelated update()', async () => {
    const writes =
      "import { Repository } from 'typeorm';\n" +
      'export const f = (r: Repository<object>, manager: any) => Promise.all([r.save({}), manager.update("Host", {}, {})]);\n';
    expect(await problems('src/monitors/sync/inventory-writer.ts', writes)).toEqual([]);
    const calls =
      'export const f = (w: { writer: any }, hash: any, cache: Map<string, number>) =>\n' +
      '  [w.writer.save({}), hash.update("x"), cache.delete("k")];\n';
    expect(await problems(service, calls)).toEqual([]);
  });
});
