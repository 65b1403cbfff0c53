import type { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_ID } from './id-param.pipe';
import { OptionalNotNull } from './optional';

/**
 * The largest offset of every list: SQLite refuses an OFFSET past its 64-bit integers ("datatype mismatch", a 500
 * for `?offset=1e20`), and no list holds more rows than the largest id.
 */
export const MAX_OFFSET = MAX_ID;

export class PaginationQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset: number = 0;
}

/** Every paginated list answers `{items, total, limit, offset}`. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Maps a page's items, keeping its counts. */
export function mapPage<T, R>(page: Page<T>, map: (item: T) => R): Page<R> {
  return { ...page, items: page.items.map(map) };
}

/** The OpenAPI shape of a page of `itemType`, for `class XPageResponse extends PageResponseOf(X) {}`. */
export function PageResponseOf<T>(itemType: Class<T>) {
  class PageResponse implements Page<T> {
    @ApiProperty({ type: [itemType] }) items!: T[];
    @ApiProperty() total!: number;
    @ApiProperty() limit!: number;
    @ApiProperty() offset!: number;
  }
  return PageResponse;
}
