import type { LoadedModel } from '../model/loaded-model.js';
import { gradeOf } from '../model/master-scale.js';

/** What a version answers for one probability: the decision at its threshold and the rating grade of its scale. */
export interface Answer {
  probability_of_default: number;
  decision: 'approve' | 'decline';
  threshold: number;
  model_version: string;
  rating_grade: string;
}

/** One answer, as POST /predict and the book's scoring both give it. */
export function answerOf(
  model: Pick<LoadedModel, 'threshold' | 'version' | 'masterScale'>,
  probability: number,
): Answer {
  return {
    probability_of_default: probability,
    decision: probability >= model.threshold ? 'decline' : 'approve',
    threshold: model.threshold,
    model_version: model.version,
    rating_grade: gradeOf(model.masterScale, probability),
  };
}
