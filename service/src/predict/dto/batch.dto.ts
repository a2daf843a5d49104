import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, ValidateNested } from 'class-validator';
import { MAX_BATCH } from '../../contract/loan-application.contract.js';
import { LoanApplicationDto } from '../../contract/loan-application.dto.js';
import { PredictionDto } from './prediction.dto.js';

export class BatchRequestDto {
  @ApiProperty({ type: [LoanApplicationDto], minItems: 1, maxItems: MAX_BATCH })
  // Decorators apply bottom-up and stopAtFirstError keeps the first failure: presence, type, size, items.
  @ValidateNested({ each: true })
  @Type(() => LoanApplicationDto)
  @IsObject({ each: true, message: 'applications must hold objects, one per application' })
  @ArrayMaxSize(MAX_BATCH, { message: `applications must hold at most ${MAX_BATCH} items` })
  @ArrayMinSize(1, { message: 'applications must hold at least 1 item' })
  @IsArray({ message: 'applications must be an array of applications' })
  @IsDefined({ message: 'applications is required' })
  applications!: LoanApplicationDto[];
}

export class BatchResponseDto {
  @ApiProperty({ type: [PredictionDto] })
  predictions!: PredictionDto[];
}
