import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum Privilege {
  Read = 1,
  Write = 2,
  ManageUsers = 3,
}

/**
 * Usernames are unique whatever their case: an index on lower(username), which TypeORM cannot declare. Migration
 * 1764547200000 creates it; `synchronize: false` makes TypeORM leave it be.
 */
@Index('IDX_users_username_lower', { synchronize: false })
@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn() id!: number;

  @Column({ type: 'varchar', length: 64, unique: true }) username!: string;

  /** argon2id encoded hash; never leaves the service. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 }) passwordHash!: string;

  @Column({ type: 'integer' }) privileges!: Privilege;

  @Column({ type: 'boolean', default: true }) enabled!: boolean;

  /** Bumped when the password changes or the user is disabled: tokens carrying an older value stop working. */
  @Column({ name: 'token_version', type: 'integer', default: 0 }) tokenVersion!: number;

  @CreateDateColumn({ name: 'created_at' }) createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' }) updatedAt!: Date;
}
