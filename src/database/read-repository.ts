import type { ObjectLiteral, Repository } from 'typeorm';

/**
 * What a service may do with a repository: read, and build entities in memory. Writes go through the table
 * family's writer (a `*-writer.ts` class, through Transactions); eslint.config.mjs keeps `Repository` itself and
 * write calls out of every other file.
 */
export type ReadRepository<T extends ObjectLiteral> = Pick<
  Repository<T>,
  | 'create'
  | 'count'
  | 'countBy'
  | 'createQueryBuilder'
  | 'exists'
  | 'existsBy'
  | 'find'
  | 'findAndCount'
  | 'findBy'
  | 'findOne'
  | 'findOneBy'
  | 'findOneByOrFail'
  | 'metadata'
>;
