import { ApiProperty } from '@nestjs/swagger';

/** Every error the API answers with, in NestJS's standard shape. */
export class ErrorResponse {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['username must be a string'],
    description: 'What went wrong; for invalid input, one message per field, each naming it',
  })
  message!: string | string[];
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ required: false, description: 'On a 500 only: the id to find the request in the log' })
  request_id?: string;
}
