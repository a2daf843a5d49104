import { Module } from '@nestjs/common';
import { PredictionCaptureService } from './prediction-capture.service.js';

@Module({ providers: [PredictionCaptureService], exports: [PredictionCaptureService] })
export class CaptureModule {}
