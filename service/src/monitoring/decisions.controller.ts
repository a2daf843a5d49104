import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DecisionsService } from '../decisions/decisions.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { Access } from '../security/access.decorator.js';
import { DecisionMix } from './decision-mix.js';
import { DecisionsReportDto } from './dto/decisions-report.dto.js';

@Access('monitoring')
@ApiTags('monitoring')
@Controller('monitoring')
export class DecisionsMonitorController {
  private readonly since = new Date().toISOString();

  constructor(
    private readonly mix: DecisionMix,
    private readonly decisions: DecisionsService,
    private readonly policies: PolicyService,
  ) {}

  @Get('decisions')
  @ApiOperation({
    summary: "Decision mix, rule-fire rates and reviewers' override rate since this instance started",
  })
  @ApiOkResponse({ type: DecisionsReportDto })
  report(): DecisionsReportDto {
    return {
      policy_version: this.policies.current()?.policy_version ?? null,
      since: this.since,
      policies: this.mix.report(),
      reviews: this.decisions.reviewFigures(),
    };
  }
}
