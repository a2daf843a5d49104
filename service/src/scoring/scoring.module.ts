import { Global, Module } from '@nestjs/common';
import { ScoringEvents } from './scoring-events.js';

/** The scoring announcement: global, so a feature subscribes without the predict module knowing it. */
@Global()
@Module({ providers: [ScoringEvents], exports: [ScoringEvents] })
export class ScoringModule {}
