import { User } from '../auth/users/user.entity';

/** Every entity of the service; migrations must keep the schema equal to what these declare. */
export const ENTITIES = [User];
