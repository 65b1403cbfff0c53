import { BadRequestException, type PipeTransform } from '@nestjs/common';

/**
 * The largest id a row can have: ids are `integer` columns (`SERIAL` on PostgreSQL), and PostgreSQL fails a query
 * that compares one with a larger number ("out of range for type integer") instead of finding nothing.
 */
export const MAX_ID = 2_147_483_647;

/** Path ids are positive integers up to MAX_ID; anything else is a 400 that names the parameter. */
export class IdParamPipe implements PipeTransform<string, number> {
  constructor(private readonly name = 'id') {}

  transform(value: string): number {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) {
      throw new BadRequestException(`${this.name} must be a positive integer`);
    }
    if (Number(value) > MAX_ID) throw new BadRequestException(`${this.name} must not be greater than ${MAX_ID}`);
    return Number(value);
  }
}
