import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ModelService } from '../model/model.service.js';
import { LoanApplicationDto } from './dto/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';

@Injectable()
export class PredictService {
  constructor(private readonly models: ModelService) {}

  /** Scores applications with one model version, taken once, so a batch never mixes versions. */
  async predict(applications: LoanApplicationDto[]): Promise<PredictionDto[]> {
    const answers = await this.models.withModel(async (model) => {
      const scores = await model.score(applications);
      return this.answer(applications, scores, model.threshold, model.version);
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
      if (application.application_id !== undefined) prediction.application_id = application.application_id;
      return prediction;
    });
  }
}
