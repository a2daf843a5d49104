import { ApiProperty } from '@nestjs/swagger';

/** What a policy reload did (policy/policy.service.ts PolicyRefreshOutcome). */
export class PolicyReloadDto {
  @ApiProperty({
    enum: ['unchanged', 'swapped'],
    description: "A failure answers 422 instead, with the error shape and the outcome's fields.",
  })
  status!: 'unchanged' | 'swapped';

  @ApiProperty({ type: String, nullable: true, description: 'The policy version deciding after the call.' })
  version!: string | null;

  @ApiProperty({ type: String, nullable: true, required: false, description: 'After a swap: the version it replaced.' })
  previous?: string | null;
}

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
