import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export type Decision = 'approve' | 'refer' | 'decline';

/**
 * One principal reason for a decline or a referral: a knock-out rule of the credit policy that fired (its code, no
 * contribution), or an input the model weighed (explain/explainer.ts Reason).
 */
export class ReasonDto {
  @ApiProperty({
    example: 'R01',
    description:
      "A model reason's code (R01...: stable across model versions, the same code always names the same input and says the same thing), or the code of the credit policy's knock-out rule that declined.",
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

  @ApiPropertyOptional({
    example: 0.8123,
    description:
      "Log-odds this input adds above the population's average (TreeSHAP, path-dependent); absent on a knock-out rule's reason (a rule declines whatever the model says).",
  })
  contribution?: number;

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

  @ApiProperty({
    enum: ['approve', 'refer', 'decline'],
    description:
      "The credit policy's decision (policy_version): decline when a knock-out rule fires, else by the policy's cut-offs on probability_of_default (by segment, when it has segments): approve below, decline from, refer (a person reviews it, POST /decisions/{prediction_id}) in a band between. Under the default policy: decline when probability_of_default >= threshold, and never refer.",
  })
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

  @ApiProperty({
    example: 'default',
    description:
      "The credit policy version that decided ('default': the built-in policy, while the store has no policy channel).",
  })
  policy_version!: string;

  @ApiProperty({
    type: [String],
    example: [],
    description:
      "The codes of the credit policy rules that fired: knock-outs, then segment:<name> when a segment's cut-offs decided. Empty when the default cut-offs decided.",
  })
  rules_fired!: readonly string[];

  @ApiPropertyOptional({
    type: [ReasonDto],
    description:
      "On every decline and referral: the knock-out rules that fired (their code and the applicant's words), then up to four principal reasons from the model that raised the risk, largest first (the model's are absent only for a version published without trees.json).",
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
