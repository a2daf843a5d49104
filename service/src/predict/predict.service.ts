import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { LoadedModel } from '../model/loaded-model.js';
import { ChallengersService } from '../model/challengers.service.js';
import { explainRows } from '../model/explain-rows.js';
import { answerOf } from './answer.js';
import { decide, type KnockOut, type ServingPolicy } from '../policy/credit-policy.js';
import { PolicyService } from '../policy/policy.service.js';
import { ModelService } from '../model/model.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { LoanApplicationDto } from '../contract/loan-application.dto.js';
import { PredictionDto, ReasonDto } from './dto/prediction.dto.js';

const NO_POLICY = 'no credit policy is loaded yet (the policy channel names one that has not verified); retry shortly';

/** A knock-out that fired, as a reason an applicant reads: its code and words, the input as sent. */
function ruleReason(rule: KnockOut, application: LoanApplicationDto): ReasonDto {
  const value = application[rule.field] as string | number;
  return { code: rule.code, feature: rule.field, value, text: rule.text.replace('{value}', String(value)) };
}

@Injectable()
export class PredictService {
  constructor(
    private readonly models: ModelService,
    private readonly challengers: ChallengersService,
    private readonly events: ScoringEvents,
    private readonly policies: PolicyService,
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
    // One policy for the whole call: a batch is never decided by two.
    const policy = this.policies.current();
    if (!policy) throw new ServiceUnavailableException(NO_POLICY);
    const canary = this.challengers.routeToCanary(applications);
    if (canary) {
      try {
        return await this.answerWith(canary, 'canary', policy, applications, requestId, explain);
      } finally {
        canary.releaseLease();
      }
    }
    const answers = await this.models.withModel((model) =>
      this.answerWith(model, 'production', policy, applications, requestId, explain),
    );
    if (!answers) throw new ServiceUnavailableException('no model is loaded yet; retry shortly');
    return answers;
  }

  /** Scores with one model version, so a batch never mixes versions, and announces the answers once. */
  private async answerWith(
    model: LoadedModel,
    role: 'production' | 'canary',
    policy: ServingPolicy,
    applications: LoanApplicationDto[],
    requestId: string | null,
    explain: boolean,
  ): Promise<PredictionDto[]> {
    const scores = await model.score(applications);
    const answers = this.answer(applications, scores, model, policy);
    this.explain(model, applications, answers, explain);
    this.events.emit({ applications, answers, scores, model, role, time: Date.now(), requestId, policy });
    return answers;
  }

  /**
   * Reasons on every decline and referral (and every feature's contribution with `explain`), from TreeSHAP over
   * the trees of the model that scored, after the knock-outs' own: only the rows to explain are encoded again (a
   * batch's approvals are not).
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
    for (let i = 0; i < answers.length; i++) if (all || answers[i].decision !== 'approve') rows.push(i);
    explainRows(model, applications, rows, (i, phi, explainer) => {
      if (answers[i].decision !== 'approve')
        answers[i].reasons = [...(answers[i].reasons ?? []), ...explainer.reasons(applications[i], phi)];
      if (all) answers[i].contributions = explainer.named(phi);
    });
  }

  private answer(
    applications: LoanApplicationDto[],
    scores: Float32Array,
    model: LoadedModel,
    policy: ServingPolicy,
  ): PredictionDto[] {
    return applications.map((application, i) => {
      const outcome = decide(policy, application, scores[i], model.threshold);
      const prediction: PredictionDto = {
        prediction_id: randomUUID(),
        ...answerOf(model, scores[i], outcome, policy.policy_version),
      };
      if (application.application_id !== undefined && application.application_id !== null)
        prediction.application_id = application.application_id;
      // A knock-out's words lead a decline's reasons: the rule decided, whatever the model says.
      if (outcome.knock_outs.length > 0) prediction.reasons = outcome.knock_outs.map((r) => ruleReason(r, application));
      return prediction;
    });
  }
}
