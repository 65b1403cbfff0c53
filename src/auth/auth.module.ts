import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisConnections } from '../redis/redis-connections';
import { RedisConnectionsModule } from '../redis/redis-connections.module';
import { LoginLimiter } from './login-limiter';
import { createLoginRateLimits } from './login-rate-limits';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { InitialAdminService } from './users/initial-admin.service';
import { User } from './users/user.entity';
import { UsersController } from './users/users.controller';
import { UsersWriter } from './users/users-writer';
import { UsersService } from './users/users.service';

/** Users, login and the global bearer guard that every route passes unless it is @Public(). */
@Module({
  imports: [TypeOrmModule.forFeature([User]), JwtModule.register({}), RedisConnectionsModule],
  controllers: [AuthController, UsersController],
  providers: [
    AuthService,
    {
      provide: LoginLimiter,
      inject: [APP_CONFIG, RedisConnections],
      // Counts in Redis, so every API replica shares them, on a connection that fails fast while Redis is down.
      useFactory: (config: AppConfig, connections: RedisConnections) =>
        new LoginLimiter(createLoginRateLimits(connections.failFast('login-limiter'), config)),
    },
    PasswordHasher,
    TokenService,
    UsersService,
    UsersWriter,
    InitialAdminService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  // The dashboard's login checks the same users, hashes, tokens and failed-login counts.
  exports: [UsersService, PasswordHasher, TokenService, LoginLimiter],
})
export class AuthModule {}
