import { IsOptional } from 'class-validator';
import type { Privilege } from '../user.entity';
import { EnabledField, NewPasswordField, PrivilegesField } from './user-fields';

/** Changing the password or disabling the user revokes every token issued before. */
export class UpdateUserDto {
  @IsOptional() @NewPasswordField(false) password?: string;
  @IsOptional() @PrivilegesField(false) privileges?: Privilege;
  @IsOptional() @EnabledField() enabled?: boolean;
}
