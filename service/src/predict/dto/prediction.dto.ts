import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export type Decision = 'approve' | 'decline';

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
}
