import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PredictionCaptureService } from '../capture/prediction-capture.service.js';
import { PredictionRecord } from '../capture/prediction-record.js';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { INPUT_FIELDS } from '../contract/loan-application.contract.js';
import { ModelService } from '../model/model.service.js';
import { DriftService } from '../monitoring/drift.service.js';
import { MetricsService } from '../monitoring/metrics.service.js';
import { LoanApplicationDto } from './dto/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';

/** The 11 inputs alone (the DTO also carries application_id). */
function inputsOf(application: LoanApplicationDto): LoanApplication {
  const inputs = {} as Record<string, unknown>;
  for (const field of INPUT_FIELDS) inputs[field] = application[field];
  return inputs as unknown as LoanApplication;
}

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
    if (this.capture.enabled) {
      const timestamp = new Date().toISOString();
      this.capture.capture(
        answers.map(
          (answer, i): PredictionRecord => ({
            prediction_id: answer.prediction_id,
            application_id: answer.application_id ?? null,
            inputs: inputsOf(applications[i]),
            probability_of_default: answer.probability_of_default,
            decision: answer.decision,
            threshold: answer.threshold,
            model_version: answer.model_version,
            timestamp,
            request_id: requestId,
          }),
        ),
      );
    }
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
