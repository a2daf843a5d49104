import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelModule } from '../model/model.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [TerminusModule.forRoot({ logger: false }), ModelModule], controllers: [HealthController] })
export class HealthModule {}
