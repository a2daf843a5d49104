import { ApiProperty } from '@nestjs/swagger';

export class ChannelPointerDto {
  @ApiProperty({ example: '20261126T214935Z-f0098e1' })
  version!: string;

  @ApiProperty({ example: '2026-11-26T21:50:02.113Z' })
  updated_at!: string;

  @ApiProperty({ type: String, nullable: true, required: false, description: 'Where a rollback goes.' })
  previous?: string | null;
}

export class VersionSummaryDto {
  @ApiProperty({ example: '20261126T214935Z-f0098e1' })
  version!: string;

  @ApiProperty({ type: String, nullable: true, description: 'null when the manifest cannot be read.' })
  created_at!: string | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { oneOf: [{ type: 'number' }, { type: 'string' }] },
  })
  metrics!: Record<string, number | string> | null;

  @ApiProperty({ type: Number, nullable: true })
  threshold!: number | null;

  @ApiProperty({ description: 'This instance serves it.' })
  active!: boolean;

  @ApiProperty({ description: 'The channel points at it.' })
  production!: boolean;
}

export class ChallengerStateDto {
  @ApiProperty({ type: String, nullable: true, description: 'Where the channel points (null: no challenger).' })
  channel_version!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The version this instance has loaded for the channel.' })
  serving!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    required: false,
    description: 'canary: the share of applications it answers.',
  })
  weight?: number | null;
}

export class ChallengersDto {
  @ApiProperty({ type: ChallengerStateDto })
  shadow!: ChallengerStateDto;

  @ApiProperty({ type: ChallengerStateDto })
  canary!: ChallengerStateDto;
}

/** GET /admin/models. */
export class ModelListDto {
  @ApiProperty({ example: 's3://models-bucket/models', description: 'Where the store is.' })
  store!: string;

  @ApiProperty({ example: 'loan-default' })
  name!: string;

  @ApiProperty({ example: 'production' })
  channel!: string;

  @ApiProperty({ type: String, nullable: true })
  active!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The version this instance is pinned to, if any.' })
  pinned!: string | null;

  @ApiProperty({
    type: ChannelPointerDto,
    nullable: true,
    description: 'Where the channel points; null when it cannot be read.',
  })
  production!: ChannelPointerDto | null;

  @ApiProperty({ type: ChallengersDto, description: 'The shadow and canary channels beside production.' })
  challengers!: ChallengersDto;

  @ApiProperty({ type: [VersionSummaryDto] })
  versions!: VersionSummaryDto[];
}
