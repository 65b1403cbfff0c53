import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean } from 'class-validator';
import { toBoolean } from './query-boolean';
import { OptionalNotNull } from '../../common/http/optional';

/** DELETE /hosts/:id and /items/:id. */
export class DeleteQuery {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'true (or 1): for a host or item on a monitor, delete it there too (queued as a task, 202), then here. ' +
      'Without it, deleting one that is on a monitor answers 409, since the next pull would bring it back',
  })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  on_monitor?: boolean;
}
