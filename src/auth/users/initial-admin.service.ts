import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { UsersService } from './users.service';

/**
 * On first start, with no users at all, creates the superadmin from admin.username/admin.password. With no
 * password configured one is generated and printed once on the console, never into the log file.
 */
@Injectable()
export class InitialAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(InitialAdminService.name);

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { username, password: configured } = this.config.admin;
    const password = configured ?? randomBytes(18).toString('base64url');
    if (!(await this.users.createInitialSuperadmin(username, password))) return;
    this.logger.log({
      msg: 'created the initial superadmin',
      username,
      password_source: configured ? 'config' : 'generated',
    });
    if (!configured) {
      process.stdout.write(
        `\n  Nagare created the superadmin "${username}" with the generated password: ${password}\n` +
          '  It is shown only this once. Log in and change it (PATCH /api/v1/users/:id).\n\n',
      );
    }
  }
}
