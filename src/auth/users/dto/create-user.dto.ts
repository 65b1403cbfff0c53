import type { Privilege } from '../user.entity';
import { EnabledField, NewPasswordField, PrivilegesField, UsernameField } from './user-fields';
import { OptionalNotNull } from '../../../common/http/optional';

export class CreateUserDto {
  @UsernameField() username!: string;
  @NewPasswordField(true) password!: string;
  @PrivilegesField(true) privileges!: Privilege;
  @OptionalNotNull() @EnabledField() enabled?: boolean;
}
