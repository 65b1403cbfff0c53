import { PageResponseOf } from '../../../common/http/pagination.dto';
import { ApiProperty } from '@nestjs/swagger';
import { Privilege, type User } from '../user.entity';

/** A user as the API shows it: never the password or its hash. */
export class UserResponse {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'admin' }) username!: string;
  @ApiProperty({ enum: [1, 2, 3], description: '1 read, 2 write and run tasks, 3 manage users' })
  privileges!: Privilege;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(user: User): UserResponse {
    return {
      id: user.id,
      username: user.username,
      privileges: user.privileges,
      enabled: user.enabled,
      created_at: user.createdAt.toISOString(),
      updated_at: user.updatedAt.toISOString(),
    };
  }
}

export class UserPageResponse extends PageResponseOf(UserResponse) {}
