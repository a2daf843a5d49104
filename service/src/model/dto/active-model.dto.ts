import { ApiProperty } from '@nestjs/swagger';

/** GET /models/active. */
export class ActiveModelDto {
  @ApiProperty({ example: '20261126T214935Z-f0098e1', description: 'The version serving now.' })
  version!: string;

  @ApiProperty({ example: '2026-11-26T21:49:35Z', description: 'When training made it.' })
  created_at!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'number' }, { type: 'string' }] },
    example: { roc_auc: 0.91, pr_auc: 0.74 },
    description: 'Holdout metrics from its manifest (roc_auc at least).',
  })
  metrics!: Record<string, number | string>;

  @ApiProperty({ example: 0.2279, description: 'Its decision threshold.' })
  threshold!: number;

  @ApiProperty({ description: 'True when an admin pinned this instance to the version.' })
  pinned!: boolean;
}
