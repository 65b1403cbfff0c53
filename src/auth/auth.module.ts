import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { InitialAdminService } from './users/initial-admin.service';
import { User } from './users/user.entity';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/** Users, login and the global bearer guard that every route passes unless it is @Public(). */
@Module({
  imports: [TypeOrmModule.forFeature([User]), JwtModule.register({})],
  controllers: [AuthController, UsersController],
  providers: [
    AuthService,
    LoginLimiter,
    PasswordHasher,
    TokenService,
    UsersService,
    InitialAdminService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  // The dashboard's login checks the same users, hashes, tokens and failed-login counts.
  exports: [UsersService, PasswordHasher, TokenService, LoginLimiter],
})
export class AuthModule {}
