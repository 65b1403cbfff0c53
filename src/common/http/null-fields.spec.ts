import { BadRequestException } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { CreateAlertDto, UpdateAlertDto } from '../../alerts/dto/alert.dto';
import { ZabbixEventDto } from '../../alerts/events/zabbix-event.dto';
import { CreateUserDto } from '../../auth/users/dto/create-user.dto';
import { UpdateUserDto } from '../../auth/users/dto/update-user.dto';
import { CreateHostDto, UpdateHostDto } from '../../monitors/dto/host.dto';
import { CreateItemDto, UpdateItemDto } from '../../monitors/dto/item.dto';
import { CreateMonitorDto, UpdateMonitorDto } from '../../monitors/dto/monitor.dto';
import { BulkRetryBody } from '../../queue/queue.dto';
import { CallbackBody } from '../../webhooks/webhooks.dto';
import { CachingValidationPipe } from './validation.pipe';

/** Every request body that has optional fields, as the controllers take them. */
const BODIES = [
  CreateAlertDto,
  UpdateAlertDto,
  ZabbixEventDto,
  CreateUserDto,
  UpdateUserDto,
  CreateHostDto,
  UpdateHostDto,
  CreateItemDto,
  UpdateItemDto,
  CreateMonitorDto,
  UpdateMonitorDto,
  BulkRetryBody,
  CallbackBody,
];

/** The fields where null is a value ("none", "detach"), which the services handle. */
const NULL_MEANS_NONE = new Set(
  ['technical_name', 'monitor_id', 'group_id', 'ip_addr'].flatMap((field) => [
    `CreateHostDto.${field}`,
    `UpdateHostDto.${field}`,
  ]),
);

type Body = new () => object;

/** The fields a body may leave out: those under a conditional validation (@IsOptional, @OptionalNotNull, PartialType). */
function optionalFields(dto: Body): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return [...new Set(metadata.filter((entry) => entry.type === 'conditionalValidation').map((e) => e.propertyName))];
}

async function refusal(dto: Body, body: Record<string, unknown>): Promise<string[] | undefined> {
  const pipe = new CachingValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  try {
    await pipe.transform(body, { type: 'body', metatype: dto });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return ((error as BadRequestException).getResponse() as { message: string[] }).message;
  }
}

describe('null in an optional request field', () => {
  const cases = BODIES.flatMap((dto) => optionalFields(dto).map((field) => [dto.name, field, dto] as const));

  it('finds the optional fields of every body', () => {
    expect(cases.length).toBeGreaterThan(30);
    expect(cases.map(([name, field]) => `${name}.${field}`)).toEqual(
      expect.arrayContaining(['CreateAlertDto.item_id', 'CreateAlertDto.host_id', 'UpdateUserDto.enabled']),
    );
  });

  it.each(cases.filter(([name, field]) => !NULL_MEANS_NONE.has(`${name}.${field}`)))(
    '%s.%s: null is refused with the field named, as a wrong value is',
    async (_name, field, dto) => {
      const messages = await refusal(dto, { [field]: null });
      expect(messages?.some((message) => message.startsWith(`${field} `))).toBe(true);
    },
  );

  it.each(cases.filter(([name, field]) => NULL_MEANS_NONE.has(`${name}.${field}`)))(
    '%s.%s: null means none and passes',
    async (_name, field, dto) => {
      const messages = await refusal(dto, { name: 'web-01', [field]: null });
      expect(messages ?? []).not.toContainEqual(expect.stringMatching(new RegExp(`^${field} `)));
    },
  );
});
