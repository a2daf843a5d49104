import { NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { ActivateOutcome } from '../model/refresh-outcome.js';
import type { RefreshOutcomeDto } from './dto/refresh-outcome.dto.js';

/**
 * A move that did not happen is an error answer: 404 for an unknown version, 422 (with the outcome) for a failed load,
 * of a model or of a credit policy.
 */
export function refreshAnswer(outcome: ActivateOutcome): RefreshOutcomeDto {
  if (outcome.status === 'not_found')
    throw new NotFoundException(`version ${outcome.version} is not in the model store`);
  if (outcome.status === 'failed') throw new UnprocessableEntityException({ message: outcome.reason, ...outcome });
  return outcome;
}
