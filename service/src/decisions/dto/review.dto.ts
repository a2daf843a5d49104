import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsString, Matches } from 'class-validator';
import type { FinalDecisionRecord } from '../final-decision.js';

export const REASON_CODE = /^[A-Z][A-Z0-9_]{1,31}$/;

/** A reviewer's final decision on a referred application (the reviewer is the credential's, not the body's). */
export class ReviewDto {
  @ApiProperty({ enum: ['approve', 'decline'], description: 'The final decision.' })
  // Decorators apply bottom-up and stopAtFirstError keeps the first failure: presence, type, value.
  @IsIn(['approve', 'decline'], { message: 'final_decision must be one of approve, decline' })
  @IsString({ message: 'final_decision must be a string' })
  @IsDefined({ message: 'final_decision is required' })
  final_decision!: 'approve' | 'decline';

  @ApiProperty({
    example: 'INCOME_VERIFIED',
    pattern: REASON_CODE.source,
    description: "The lender's reason code for the final decision (capitals, digits and _, 2 to 32 characters).",
  })
  @Matches(REASON_CODE, { message: 'reason_code must be 2 to 32 capitals, digits or _, starting with a capital' })
  @IsString({ message: 'reason_code must be a string' })
  @IsDefined({ message: 'reason_code is required' })
  reason_code!: string;
}

/** The final decision as recorded in DECISION_LOG. */
export class FinalDecisionDto implements FinalDecisionRecord {
  @ApiProperty({ format: 'uuid' })
  prediction_id!: string;
  @ApiPropertyOptional({ type: String, nullable: true })
  application_id!: string | null;
  @ApiProperty({ enum: ['approve', 'decline'] })
  final_decision!: 'approve' | 'decline';
  @ApiProperty({ example: 'INCOME_VERIFIED' })
  reason_code!: string;
  @ApiProperty({ example: 'alice', description: 'The reviewer whose token was presented.' })
  reviewer!: string;
  @ApiProperty({ format: 'date-time' })
  decided_at!: string;
  @ApiProperty({ enum: ['refer'], description: 'What the answer said.' })
  policy_decision!: 'refer';
  @ApiProperty({
    enum: ['approve', 'decline'],
    description: "What the model's probability alone would have said (decline from the version's threshold).",
  })
  model_decision!: 'approve' | 'decline';
  @ApiProperty({ description: 'The final decision differs from model_decision.' })
  override!: boolean;
  @ApiProperty({ minimum: 0, maximum: 1 })
  probability_of_default!: number;
  @ApiProperty()
  threshold!: number;
  @ApiProperty()
  model_version!: string;
  @ApiProperty()
  policy_version!: string;
  @ApiProperty({ type: [String] })
  rules_fired!: readonly string[];
  @ApiProperty({ format: 'date-time', description: 'When the referral was answered.' })
  answered_at!: string;
}
