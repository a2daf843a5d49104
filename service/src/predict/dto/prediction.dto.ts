import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export type Decision = 'approve' | 'decline';

/** One principal reason for a decline (explain/explainer.ts Reason). */
export class ReasonDto {
  @ApiProperty({
    example: 'R01',
    description: 'Stable across model versions: the same code always names the same input and says the same thing.',
  })
  code!: string;

  @ApiProperty({
    example: 'debt_to_income_ratio',
    description: 'The input the reason is about (grade and sub-grade together as grade_subgrade).',
  })
  feature!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: 0.45,
    description: 'The input as sent (for the loan-to-income reason, the ratio).',
  })
  value!: string | number;

  @ApiProperty({
    example: 0.8123,
    description: "Log-odds this input adds above the population's average (TreeSHAP, path-dependent).",
  })
  contribution!: number;

  @ApiProperty({
    example: 'Debt-to-income ratio of 0.45 is high',
    description: 'The reason in words an applicant can read.',
  })
  text!: string;
}

/** Every feature's contribution (explain=true). */
export class ContributionsDto {
  @ApiProperty({
    example: -1.52,
    description: 'The average log-odds over the training population; the contributions add to it.',
  })
  base_log_odds!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { debt_to_income_ratio: 0.81, credit_score: 0.12, grade: 0.3 },
    description:
      "Each model feature's contribution in log-odds; base_log_odds plus their sum is the answer's log-odds.",
  })
  features!: Record<string, number>;
}

export class PredictionDto {
  @ApiProperty({ format: 'uuid', description: 'Unique id of this prediction.' })
  prediction_id!: string;

  @ApiPropertyOptional({ description: 'Echo of the application_id sent, when one was sent.' })
  application_id?: string;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.083, description: 'P(loan_paid_back = 0).' })
  probability_of_default!: number;

  @ApiProperty({ enum: ['approve', 'decline'], description: 'decline when probability_of_default >= threshold.' })
  decision!: Decision;

  @ApiProperty({ example: 0.2279, description: "The model version's decision threshold." })
  threshold!: number;

  @ApiProperty({ example: '20261124T131129Z-f0098e1', description: 'The model version that scored this.' })
  model_version!: string;

  @ApiProperty({
    example: 'R3',
    pattern: '^R[0-9]+$',
    description:
      "The rating grade of probability_of_default on the model version's master scale (R1 safest): bands of " +
      'probability fixed with the version, each backtested against the default rates that follow.',
  })
  rating_grade!: string;

  @ApiPropertyOptional({
    type: [ReasonDto],
    description:
      'On every decline: up to four principal reasons that raised the risk, largest first (absent only for a model version published without trees.json).',
    example: [
      {
        code: 'R01',
        feature: 'debt_to_income_ratio',
        value: 0.45,
        contribution: 0.8123,
        text: 'Debt-to-income ratio of 0.45 is high',
      },
    ],
  })
  reasons?: ReasonDto[];

  @ApiPropertyOptional({
    type: ContributionsDto,
    description: "With explain=true only: every feature's contribution, for any decision.",
  })
  contributions?: ContributionsDto;
}
