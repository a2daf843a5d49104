import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ModelService } from '../model/model.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { LoanApplicationDto } from './dto/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';

@Injectable()
export class PredictService {
  constructor(
    private readonly models: ModelService,
    private readonly events: ScoringEvents,
  ) {}

  /**
   * Scores applications with one model version, taken once, so a batch never mixes versions; then announces
   * the answers once (drift, metrics and the prediction log listen; none waits on I/O).
   */
  async predict(applications: LoanApplicationDto[], requestId: string | null = null): Promise<PredictionDto[]> {
    const answers = await this.models.withModel(async (model) => {
      const scores = await model.score(applications);
      const answers = this.answer(applications, scores, model.threshold, model.version);
      this.events.emit({ applications, answers, scores, model, time: Date.now(), requestId });
      return answers;
    });
    if (!answers) throw new ServiceUnavailableException('no model is loaded yet; retry shortly');
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
