import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { LoadedModel } from '../model/loaded-model.js';
import { ChallengersService } from '../model/challengers.service.js';
import { explainRows } from '../model/explain-rows.js';
import { answerOf } from './answer.js';
import { ModelService } from '../model/model.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { LoanApplicationDto } from './dto/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';

@Injectable()
export class PredictService {
  constructor(
    private readonly models: ModelService,
    private readonly challengers: ChallengersService,
    private readonly events: ScoringEvents,
  ) {}

  /**
   * Answers with the canary when it is routed this request (see ChallengersService), else with production, leased
   * for the call; drift, metrics and the prediction log hear of it once, and none waits on I/O.
   */
  async predict(
    applications: LoanApplicationDto[],
    requestId: string | null = null,
    explain = false,
  ): Promise<PredictionDto[]> {
    const canary = this.challengers.routeToCanary(applications);
    if (canary) {
      try {
        return await this.answerWith(canary, 'canary', applications, requestId, explain);
      } finally {
        canary.releaseLease();
      }
    }
    const answers = await this.models.withModel((model) =>
      this.answerWith(model, 'production', applications, requestId, explain),
    );
    if (!answers) throw new ServiceUnavailableException('no model is loaded yet; retry shortly');
    return answers;
  }

  /** Scores with one model version, so a batch never mixes versions, and announces the answers once. */
  private async answerWith(
    model: LoadedModel,
    role: 'production' | 'canary',
    applications: LoanApplicationDto[],
    requestId: string | null,
    explain: boolean,
  ): Promise<PredictionDto[]> {
    const scores = await model.score(applications);
    const answers = this.answer(applications, scores, model);
    this.explain(model, applications, answers, explain);
    this.events.emit({ applications, answers, scores, model, role, time: Date.now(), requestId });
    return answers;
  }

  /**
   * Reasons on every decline (and every feature's contribution with `explain`), from TreeSHAP over the trees of
   * the model that scored: only the rows to explain are encoded again (a batch's approvals are not).
   */
  private explain(
    model: LoadedModel,
    applications: LoanApplicationDto[],
    answers: PredictionDto[],
    all: boolean,
  ): void {
    if (!model.explainer) return;
    // A loop, not flatMap: that made an array for every answer, approvals included, on every /predict.
    const rows: number[] = [];
    for (let i = 0; i < answers.length; i++) if (all || answers[i].decision === 'decline') rows.push(i);
    explainRows(model, applications, rows, (i, phi, explainer) => {
      if (answers[i].decision === 'decline') answers[i].reasons = explainer.reasons(applications[i], phi);
      if (all) answers[i].contributions = explainer.named(phi);
    });
  }

  private answer(applications: LoanApplicationDto[], scores: Float32Array, model: LoadedModel): PredictionDto[] {
    return applications.map((application, i) => {
      const prediction: PredictionDto = { prediction_id: randomUUID(), ...answerOf(model, scores[i]) };
      if (application.application_id !== undefined && application.application_id !== null)
        prediction.application_id = application.application_id;
      return prediction;
    });
  }
}
