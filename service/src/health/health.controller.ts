import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ModelService } from '../model/model.service.js';
import { PolicyService } from '../policy/policy.service.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly models: ModelService,
    private readonly policies: PolicyService,
  ) {}

  /** The process is up and answering. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up({ uptime_s: Math.round(process.uptime()) })]);
  }

  /** Ready to score: a verified model and a verified credit policy are loaded (503 until then). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const model = this.models.current();
        const check = this.indicators.check('model');
        return model ? check.up({ version: model.version }) : check.down({ reason: 'no model loaded yet' });
      },
      () => {
        const policy = this.policies.current();
        const check = this.indicators.check('policy');
        return policy
          ? check.up({ version: policy.policy_version })
          : check.down({ reason: 'the policy channel names no version that has verified yet' });
      },
    ]);
  }
}
