import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ConflictError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import { PasswordHasher } from '../password-hasher';
import type { CreateUserDto } from './dto/create-user.dto';
import type { UpdateUserDto } from './dto/update-user.dto';
import { Privilege, User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
  ) {}

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username });
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
      return await this.users.save(user);
    } catch (error) {
      // Two creates of one name can both pass the check above; the unique index decides.
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
    return this.users.save(user);
  }

  async remove(id: number): Promise<void> {
    const user = await this.get(id);
    if (user.enabled && user.privileges === Privilege.ManageUsers) await this.assertAnotherSuperadmin(user.id);
    await this.users.delete({ id });
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
