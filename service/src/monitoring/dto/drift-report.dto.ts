import { ApiProperty } from '@nestjs/swagger';
import type { DriftReport } from '../drift.service.js';
import type { DriftStatus } from '../psi.js';

const STATUSES = ['ok', 'watch', 'drift', 'insufficient_data'];

export class DriftFigureDto {
  @ApiProperty({ example: 0.031, description: 'Population stability index against the reference.' })
  psi!: number;

  @ApiProperty({
    enum: STATUSES,
    description: 'ok, watch (> 0.1), drift (> 0.25), or insufficient_data (window under min_window).',
  })
  status!: DriftStatus;
}

export class DriftThresholdsDto {
  @ApiProperty({ example: 0.1 })
  watch_above!: number;

  @ApiProperty({ example: 0.25 })
  drift_above!: number;

  @ApiProperty({ example: 500 })
  min_window!: number;
}

/** GET /monitoring/drift. */
export class DriftReportDto implements DriftReport {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The version whose reference the window is compared with.',
  })
  model_version!: string | null;

  @ApiProperty({ example: 5000 })
  window_size!: number;

  @ApiProperty({ example: 5000 })
  window_capacity!: number;

  @ApiProperty({ type: DriftThresholdsDto })
  thresholds!: DriftThresholdsDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DriftFigureDto' },
    description: 'One figure per model input.',
  })
  features!: Record<string, DriftFigureDto>;

  @ApiProperty({ type: DriftFigureDto, nullable: true, description: 'The score, or null before a model is loaded.' })
  score!: DriftFigureDto | null;
}
