import { IsOptional } from 'class-validator';
import type { Privilege } from '../user.entity';
import { EnabledField, NewPasswordField, PrivilegesField, UsernameField } from './user-fields';

export class CreateUserDto {
  @UsernameField() username!: string;
  @NewPasswordField(true) password!: string;
  @PrivilegesField(true) privileges!: Privilege;
  @IsOptional() @EnabledField() enabled?: boolean;
}
