import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but not sent as null: unlike @IsOptional, null is validated (and refused) like any
 * other value, because the column behind it is NOT NULL. Use @IsOptional only where null means "none".
 */
export const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** Update bodies: every field may be left out, none may be null unless its create DTO allows null (@IsOptional). */
export const PARTIAL_NOT_NULL = { skipNullProperties: false } as const;
