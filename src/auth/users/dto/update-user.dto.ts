import type { Privilege } from '../user.entity';
import { EnabledField, NewPasswordField, PrivilegesField } from './user-fields';
import { OptionalNotNull } from '../../../common/http/optional';

/** Changing the password or disabling the user revokes every token issued before. */
export class UpdateUserDto {
  @OptionalNotNull() @NewPasswordField(false) password?: string;
  @OptionalNotNull() @PrivilegesField(false) privileges?: Privilege;
  @OptionalNotNull() @EnabledField() enabled?: boolean;
}
