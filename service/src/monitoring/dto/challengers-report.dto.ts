import { ApiProperty } from '@nestjs/swagger';
import type { ChallengerFigures, ChallengersReport } from '../challenger-monitor.js';

export class ChallengerFiguresDto implements ChallengerFigures {
  @ApiProperty({ type: String, nullable: true, description: 'The challenger version the window holds.' })
  version!: string | null;

  @ApiProperty({ example: 5000 })
  count!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.74 })
  approval_rate!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.76,
    description: "Production's approval rate on the same applications.",
  })
  production_approval_rate!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.012,
    description: "PSI of the challenger's scores against production's on the same applications (20 bins).",
  })
  psi!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.97,
    description: 'The share of the same applications both decided alike.',
  })
  decision_agreement!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.013,
    description: 'Mean |difference| of probability on the same applications.',
  })
  mean_abs_difference!: number | null;
}

/** GET /monitoring/challengers. */
export class ChallengersReportDto implements ChallengersReport {
  @ApiProperty({ example: 5000 })
  window_capacity!: number;

  @ApiProperty({ type: String, nullable: true })
  production_version!: string | null;

  @ApiProperty({ type: ChallengerFiguresDto })
  shadow!: ChallengerFiguresDto;

  @ApiProperty({ type: ChallengerFiguresDto })
  canary!: ChallengerFiguresDto;
}
