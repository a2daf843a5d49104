import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ModelService } from '../model/model.service.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly models: ModelService,
  ) {}

  /** The process is up and answering. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up({ uptime_s: Math.round(process.uptime()) })]);
  }

  /** Ready to score: a verified model is loaded (503 until then). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const model = this.models.current();
        const check = this.indicators.check('model');
        return model ? check.up({ version: model.version }) : check.down({ reason: 'no model loaded yet' });
      },
    ]);
  }
}
