import { ApiProperty } from '@nestjs/swagger';
import type { ReviewFigures } from '../../decisions/decisions.service.js';
import type { PolicyMix } from '../decision-mix.js';

class DecisionShareDto {
  @ApiProperty({ example: 420 })
  count!: number;
  @ApiProperty({ type: Number, nullable: true, example: 0.84 })
  rate!: number | null;
}

class DecisionSharesDto {
  @ApiProperty({ type: DecisionShareDto })
  approve!: DecisionShareDto;
  @ApiProperty({ type: DecisionShareDto })
  refer!: DecisionShareDto;
  @ApiProperty({ type: DecisionShareDto })
  decline!: DecisionShareDto;
}

class RuleFiresDto {
  @ApiProperty({ example: 'DTI_OVER_LIMIT', description: "A knock-out's code, or segment:<name>." })
  rule!: string;
  @ApiProperty({ example: 12 })
  count!: number;
  @ApiProperty({ example: 0.024, description: 'Of the answers under this policy version.' })
  rate!: number;
}

export class PolicyMixDto implements PolicyMix {
  @ApiProperty({ example: 'default' })
  policy_version!: string;
  @ApiProperty({ example: 500 })
  answers!: number;
  @ApiProperty({ type: DecisionSharesDto, description: 'An approval rate counts approve only.' })
  decisions!: DecisionSharesDto;
  @ApiProperty({ type: [RuleFiresDto] })
  rules_fired!: RuleFiresDto[];
}

class FinalDecisionCountsDto {
  @ApiProperty()
  approve!: number;
  @ApiProperty()
  decline!: number;
}

export class ReviewFiguresDto implements ReviewFigures {
  @ApiProperty({ description: 'Final decisions recorded by reviewers here.' })
  decided!: number;
  @ApiProperty({ description: "Final decisions that differ from what the model's probability alone said." })
  overrides!: number;
  @ApiProperty({ type: Number, nullable: true })
  override_rate!: number | null;
  @ApiProperty({ type: FinalDecisionCountsDto })
  final_decisions!: FinalDecisionCountsDto;
  @ApiProperty({ description: 'Referrals answered here that no reviewer has decided yet.' })
  open_referrals!: number;
  @ApiProperty({ description: 'Referrals forgotten past REFERRAL_CAPACITY before a reviewer decided them.' })
  referrals_forgotten_undecided!: number;
}

/** GET /monitoring/decisions. */
export class DecisionsReportDto {
  @ApiProperty({ type: String, nullable: true, description: 'The policy version deciding now.' })
  policy_version!: string | null;
  @ApiProperty({ format: 'date-time', description: 'Counts are since this instance started.' })
  since!: string;
  @ApiProperty({
    type: [PolicyMixDto],
    description: 'The decision mix and rule-fire rates per policy version, the serving one first.',
  })
  policies!: PolicyMixDto[];
  @ApiProperty({ type: ReviewFiguresDto })
  reviews!: ReviewFiguresDto;
}
