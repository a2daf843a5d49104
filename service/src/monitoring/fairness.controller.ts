import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../security/access.decorator.js';
import { FairnessReportDto, GroupFiguresDto } from './dto/fairness-report.dto.js';
import { FairnessService } from './fairness.service.js';

@Access('monitoring')
@ApiTags('monitoring')
@ApiExtraModels(GroupFiguresDto)
@Controller('monitoring')
export class FairnessController {
  constructor(private readonly fairness: FairnessService) {}

  @Get('fairness')
  @ApiOperation({
    summary: 'Approval rate and adverse impact ratio by gender and marital status over the recent decisions',
  })
  @ApiOkResponse({ type: FairnessReportDto })
  report(): FairnessReportDto {
    return this.fairness.report();
  }
}
