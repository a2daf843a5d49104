import { ApiProperty } from '@nestjs/swagger';

/** What a reload, activate or unpin did, of the model or of the credit policy (model/refresh-outcome.ts). */
export class RefreshOutcomeDto {
  @ApiProperty({
    enum: ['unchanged', 'swapped'],
    description: "A failure answers 422 instead, with the error shape and the outcome's fields.",
  })
  status!: 'unchanged' | 'swapped';

  @ApiProperty({ type: String, nullable: true, description: 'The version serving after the call.' })
  version!: string | null;

  @ApiProperty({ type: String, nullable: true, required: false, description: 'After a swap: the version it replaced.' })
  previous?: string | null;
}
