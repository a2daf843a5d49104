import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { PredictController } from './predict.controller.js';
import { PredictService } from './predict.service.js';

@Module({ imports: [ModelModule, PolicyModule], controllers: [PredictController], providers: [PredictService] })
export class PredictModule {}
