import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { IdParam } from '../../common/http/id-param.decorator';
import { PaginationQuery, mapPage } from '../../common/http/pagination.dto';
import { Privilege, RequirePrivilege } from '../decorators';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserPageResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('users')
@RequirePrivilege(Privilege.ManageUsers)
@ApiBadRequestResponse({ description: 'Invalid id, query or body; the message names the field' })
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserPageResponse })
  async list(@Query() query: PaginationQuery): Promise<UserPageResponse> {
    const page = await this.users.list(query.limit, query.offset);
    return mapPage(page, UserResponse.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ description: 'No such user' })
  async get(@IdParam('id') id: number): Promise<UserResponse> {
    return UserResponse.of(await this.users.get(id));
  }

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  @ApiConflictResponse({ description: 'Username taken' })
  async create(@Body() body: CreateUserDto): Promise<UserResponse> {
    return UserResponse.of(await this.users.create(body));
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would leave no enabled superadmin' })
  async update(@IdParam('id') id: number, @Body() body: UpdateUserDto): Promise<UserResponse> {
    return UserResponse.of(await this.users.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would leave no enabled superadmin' })
  async remove(@IdParam('id') id: number): Promise<void> {
    await this.users.remove(id);
  }
}
