import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** The one error shape (common/error-body.ts) as the OpenAPI document states it for every 4xx and 503. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status.' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: "The status's standard reason phrase." })
  error!: string;

  @ApiProperty({
    type: [String],
    example: ['credit_score must be an integer between 300 and 850'],
    description: 'One message per problem; for a bad body, each names the field and the rule.',
  })
  message!: string[];

  @ApiProperty({
    example: '2f1c1f0e-7c1a-4c55-9a57-9d1f3f0e2b11',
    description: 'The x-request-id of the call, for support.',
  })
  request_id!: string;
}

/** Documents error answers, each with the ErrorResponseDto schema. */
export const ApiErrors = (errors: Record<number, string>) =>
  applyDecorators(
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: ErrorResponseDto }),
    ),
  );
