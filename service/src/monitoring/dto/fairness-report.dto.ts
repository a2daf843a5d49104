import { ApiProperty } from '@nestjs/swagger';
import type { FairnessReport } from '../fairness.service.js';
import type { FairnessTable, GroupFigures } from '../fairness.js';

export class GroupFiguresDto implements GroupFigures {
  @ApiProperty({ example: 1240, description: 'Applications from this group in the window.' })
  count!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.76 })
  approval_rate!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.97,
    description: "Approval rate over the highest group's; null under min_group_size.",
  })
  adverse_impact_ratio!: number | null;

  @ApiProperty({ enum: ['ok', 'below_four_fifths', 'insufficient_data'] })
  status!: GroupFigures['status'];
}

/** GET /monitoring/fairness. */
export class FairnessReportDto implements FairnessReport {
  @ApiProperty({ type: String, nullable: true })
  model_version!: string | null;

  @ApiProperty({ example: 5000 })
  window_size!: number;

  @ApiProperty({ example: 5000 })
  window_capacity!: number;

  @ApiProperty({ example: 50, description: 'Groups with fewer applications are insufficient_data.' })
  min_group_size!: number;

  @ApiProperty({
    type: 'object',
    description: 'Per protected attribute (gender, marital_status), per group.',
    additionalProperties: { type: 'object', additionalProperties: { $ref: '#/components/schemas/GroupFiguresDto' } },
  })
  attributes!: FairnessTable;
}
