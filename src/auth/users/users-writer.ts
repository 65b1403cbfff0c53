import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { User } from './user.entity';

/** The one writer of the users table, every write through Transactions. */
@Injectable()
export class UsersWriter {
  constructor(private readonly transactions: Transactions) {}

  save(user: User): Promise<User> {
    return this.transactions.run((manager) => manager.save(User, user));
  }

  async delete(id: number): Promise<void> {
    await this.transactions.single((manager) => manager.delete(User, { id }));
  }
}
