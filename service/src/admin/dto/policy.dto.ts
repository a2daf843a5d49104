import { ApiProperty } from '@nestjs/swagger';

/** The serving policy document (docs/credit-policy.schema.json, with its version). */
export class ServingPolicyDto {
  @ApiProperty({ example: '20261205T054110Z-6ae4526', description: "'default': the built-in policy." })
  policy_version!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  knock_outs!: object[];
  @ApiProperty({ type: 'object', additionalProperties: true })
  cutoffs!: object;
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  examples!: object[];
}
