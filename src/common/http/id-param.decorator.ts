import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { Request } from 'express';
import { IdParamPipe } from './id-param.pipe';

/**
 * The raw text of a path parameter. Unlike @Param it is a custom argument, so the global ValidationPipe does not
 * turn `1e3` or `0x10` into a number before IdParamPipe has judged the text.
 */
const RawPathParam = createParamDecorator(
  (name: string, context: ExecutionContext) => context.switchToHttp().getRequest<Request>().params[name],
);

/** A positive integer id from the path (400 naming the parameter otherwise), documented as such in OpenAPI. */
export function IdParam(name = 'id'): ParameterDecorator {
  return (target, key, index) => {
    RawPathParam(name, new IdParamPipe(name))(target, key, index);
    if (key === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor;
    ApiParam({ name, required: true, schema: { type: 'integer', minimum: 1 } })(target, key, descriptor);
  };
}
