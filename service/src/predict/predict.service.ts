import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PredictionCaptureService } from '../capture/prediction-capture.service.js';
import { ModelService } from '../model/model.service.js';
import { DriftService } from '../monitoring/drift.service.js';
import { MetricsService } from '../monitoring/metrics.service.js';
import { LoanApplicationDto } from './dto/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';

@Injectable()
export class PredictService {
  constructor(
    private readonly models: ModelService,
    private readonly capture: PredictionCaptureService,
    private readonly drift: DriftService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Scores applications with one model version, taken once, so a batch never mixes versions; then hands the
   * answers to monitoring and to the prediction log, neither of which waits on I/O.
   */
  async predict(applications: LoanApplicationDto[], requestId: string | null = null): Promise<PredictionDto[]> {
    const answers = await this.models.withModel(async (model) => {
      const scores = await model.score(applications);
      this.drift.observe(model, applications, scores);
      return this.answer(applications, scores, model.threshold, model.version);
    });
    if (!answers) throw new ServiceUnavailableException('no model is loaded yet; retry shortly');
    this.metrics.observePredictions(answers);
    // Every answer of one call comes from one version (a batch holds at least one application).
    const [{ model_version: modelVersion, threshold }] = answers;
    this.capture.capture(applications, answers, { time: Date.now(), requestId, modelVersion, threshold });
    return answers;
  }

  private answer(applications: LoanApplicationDto[], scores: Float32Array, threshold: number, version: string): PredictionDto[] {
    return applications.map((application, i) => {
      const probability = scores[i];
      const prediction: PredictionDto = {
        prediction_id: randomUUID(),
        probability_of_default: probability,
        decision: probability >= threshold ? 'decline' : 'approve',
        threshold,
        model_version: version,
      };
      if (application.application_id != null) prediction.application_id = application.application_id;
      return prediction;
    });
  }
}
