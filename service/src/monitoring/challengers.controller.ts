import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../security/access.decorator.js';
import { ChallengerMonitor } from './challenger-monitor.js';
import { ChallengersReportDto } from './dto/challengers-report.dto.js';

@Access('monitoring')
@ApiTags('monitoring')
@Controller('monitoring')
export class ChallengersController {
  constructor(private readonly monitor: ChallengerMonitor) {}

  @Get('challengers')
  @ApiOperation({ summary: 'Shadow and canary against production over the recent applications' })
  @ApiOkResponse({ type: ChallengersReportDto })
  report(): ChallengersReportDto {
    return this.monitor.report();
  }
}
