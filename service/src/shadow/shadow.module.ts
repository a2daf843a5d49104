import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { ShadowScoringService } from './shadow-scoring.service.js';

/** Shadow scoring: listens to scoring on its own; capture asks it for the shadow's answer to write. */
@Module({ imports: [ModelModule], providers: [ShadowScoringService], exports: [ShadowScoringService] })
export class ShadowModule {}
