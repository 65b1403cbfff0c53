import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError } from 'typeorm';
import { ConflictError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { ReadRepository } from '../../database/read-repository';
import { PasswordHasher } from '../password-hasher';
import type { CreateUserDto } from './dto/create-user.dto';
import type { UpdateUserDto } from './dto/update-user.dto';
import { Privilege, User } from './user.entity';
import { UsersWriter } from './users-writer';

/**
 * How long the bearer guard may reuse a user it loaded. This process forgets a user at once when it changes,
 * disables or deletes them; another process sees the change within this time at the most.
 */
export const AUTH_USER_CACHE_MS = 2000;

@Injectable()
export class UsersService {
  /** Users the guard loaded, by id, until `expires` (a `performance.now()` time). */
  private readonly authCache = new Map<number, { user: User; expires: number }>();
  /** Bumped by every change: a load that started before a change does not refill the cache. */
  private generation = 0;

  constructor(
    @InjectRepository(User) private readonly users: ReadRepository<User>,
    private readonly hasher: PasswordHasher,
    private readonly writer: UsersWriter,
  ) {}

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** findForAuth's answer when it would come from its cache without a query; undefined otherwise. */
  cachedForAuth(id: number): User | undefined {
    const cached = this.authCache.get(id);
    return cached && cached.expires > performance.now() ? cached.user : undefined;
  }

  /**
   * The user a bearer token names, for the guard on every request: kept AUTH_USER_CACHE_MS, so a burst of requests
   * costs one query, not one each. The caller must not change the object it gets.
   */
  async findForAuth(id: number): Promise<User | null> {
    const now = performance.now();
    const cached = this.authCache.get(id);
    if (cached && cached.expires > now) return cached.user;
    const generation = this.generation;
    const user = await this.findById(id);
    if (user && generation === this.generation) {
      if (this.authCache.size >= 10_000) this.authCache.clear();
      this.authCache.set(id, { user, expires: now + AUTH_USER_CACHE_MS });
    } else {
      this.authCache.delete(id);
    }
    return user;
  }

  /** Forgets every cached user (after any change to the users table). */
  private forgetCached(): void {
    this.generation += 1;
    this.authCache.clear();
  }

  /** Usernames are matched case-insensitively (`ADMIN` finds `admin`), through the unique index on lower(username). */
  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('LOWER(user.username) = LOWER(:username)', { username })
      .getOne();
  }

  count(): Promise<number> {
    return this.users.count();
  }

  async list(limit: number, offset: number): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount({ order: { id: 'ASC' }, take: limit, skip: offset });
    return { items, total, limit, offset };
  }

  async get(id: number): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  async create(input: CreateUserDto): Promise<User> {
    if (await this.findByUsername(input.username)) throw this.taken(input.username);
    const user = this.users.create({
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      privileges: input.privileges,
      enabled: input.enabled ?? true,
      tokenVersion: 0,
    });
    try {
      return await this.writer.save(user);
    } catch (error) {
      // Two creates of one name (in any case) can both pass the check above; the unique index decides.
      if (error instanceof QueryFailedError && /unique/i.test(error.message)) throw this.taken(input.username);
      throw error;
    }
  }

  async update(id: number, changes: UpdateUserDto): Promise<User> {
    const user = await this.get(id);
    const losesSuperadmin =
      (changes.enabled === false || (changes.privileges ?? user.privileges) < Privilege.ManageUsers) &&
      user.enabled &&
      user.privileges === Privilege.ManageUsers;
    if (losesSuperadmin) await this.assertAnotherSuperadmin(user.id);

    if (changes.password !== undefined) {
      user.passwordHash = await this.hasher.hash(changes.password);
      user.tokenVersion += 1;
    }
    if (changes.enabled === false && user.enabled) user.tokenVersion += 1;
    if (changes.enabled !== undefined) user.enabled = changes.enabled;
    if (changes.privileges !== undefined) user.privileges = changes.privileges;
    this.forgetCached();
    try {
      return await this.writer.save(user);
    } finally {
      this.forgetCached();
    }
  }

  async remove(id: number): Promise<void> {
    const user = await this.get(id);
    if (user.enabled && user.privileges === Privilege.ManageUsers) await this.assertAnotherSuperadmin(user.id);
    this.forgetCached();
    try {
      await this.writer.delete(id);
    } finally {
      this.forgetCached();
    }
  }

  /** Creates the first superadmin when the table is empty; false when a user already exists. */
  async createInitialSuperadmin(username: string, password: string): Promise<boolean> {
    if ((await this.count()) > 0) return false;
    try {
      await this.create({ username, password, privileges: Privilege.ManageUsers, enabled: true });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false; // another process created it first
      throw error;
    }
  }

  /** Nobody may lock the service out of user management by removing its last enabled superadmin. */
  private async assertAnotherSuperadmin(exceptId: number): Promise<void> {
    const others = await this.users
      .createQueryBuilder('user')
      .where('user.privileges = :privileges', { privileges: Privilege.ManageUsers })
      .andWhere('user.enabled = :enabled', { enabled: true })
      .andWhere('user.id != :id', { id: exceptId })
      .getCount();
    if (others === 0) throw new ConflictError('The last enabled superadmin cannot be disabled, demoted or deleted');
  }

  private taken(username: string): ConflictError {
    return new ConflictError(`Username ${username} is already taken`);
  }
}
