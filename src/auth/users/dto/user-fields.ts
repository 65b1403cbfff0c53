import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;

export const UsernameField = () =>
  applyDecorators(
    ApiProperty({ example: 'operator', pattern: USERNAME_PATTERN.source }),
    IsString(),
    Matches(USERNAME_PATTERN, { message: 'username must be 3-64 letters, digits, dots, dashes or underscores' }),
  );

export const NewPasswordField = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({ minLength: 8, maxLength: 256, writeOnly: true }),
    IsString(),
    MinLength(8),
    MaxLength(256),
  );

export const PrivilegesField = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({ enum: [1, 2, 3], description: '1 read, 2 write, 3 manage users' }),
    IsIn([1, 2, 3], { message: 'privileges must be 1, 2 or 3' }),
  );

export const EnabledField = () => applyDecorators(ApiPropertyOptional({ default: true }), IsBoolean());
