import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelModule } from '../model/model.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ModelModule, PolicyModule],
  controllers: [HealthController],
})
export class HealthModule {}
