import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelService } from '../model/model.service.js';
import { Access } from '../security/access.decorator.js';
import { DriftService } from './drift.service.js';
import { DriftFigureDto, DriftReportDto } from './dto/drift-report.dto.js';

@Access('monitoring')
@ApiTags('monitoring')
@ApiExtraModels(DriftFigureDto)
@Controller('monitoring')
export class DriftController {
  constructor(
    private readonly drift: DriftService,
    private readonly models: ModelService,
  ) {}

  @Get('drift')
  @ApiOperation({ summary: 'PSI of each input and of the score: ok, watch (> 0.1) or drift (> 0.25)' })
  @ApiOkResponse({ type: DriftReportDto })
  report(): DriftReportDto {
    return this.drift.report(this.models.current());
  }
}
