import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelService } from '../model/model.service.js';
import { type DriftReport, DriftService } from './drift.service.js';
import { Access } from '../security/access.decorator.js';

@Access('monitoring')
@ApiTags('monitoring')
@Controller('monitoring')
export class DriftController {
  constructor(
    private readonly drift: DriftService,
    private readonly models: ModelService,
  ) {}

  @Get('drift')
  @ApiOperation({ summary: 'PSI of each input and of the score: ok, watch (> 0.1) or drift (> 0.25)' })
  report(): DriftReport {
    return this.drift.report(this.models.current());
  }
}
