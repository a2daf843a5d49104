import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { DriftController } from './drift.controller.js';

/** GET /monitoring/drift; DriftService itself is global (MonitoringModule) so predictions can feed it. */
@Module({ imports: [ModelModule], controllers: [DriftController] })
export class DriftModule {}
