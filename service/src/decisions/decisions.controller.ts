import {
  BadRequestException,
  ConflictException,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ContractBody, ContractRoute } from '../common/contract-body.js';
import { ApiErrors } from '../common/error-response.dto.js';
import { Access, REVIEWER, type ReviewedRequest } from '../security/access.decorator.js';
import { DecisionsService } from './decisions.service.js';
import { FinalDecisionDto, ReviewDto } from './dto/review.dto.js';

@ApiTags('decisions')
@Access('reviewer')
@Controller('decisions')
export class DecisionsController {
  constructor(private readonly decisions: DecisionsService) {}

  @Post(':prediction_id')
  @HttpCode(201)
  @ApiOperation({
    summary: "Record a reviewer's final decision on a referred application (once)",
    description:
      'The referral must have been answered by this instance in its last REFERRAL_CAPACITY referrals. The decision is ' +
      'written to DECISION_LOG beside the prediction log before it is answered; a second decision on the same ' +
      'prediction, from any instance, is a 409.',
  })
  @ApiParam({ name: 'prediction_id', format: 'uuid', description: 'The prediction_id of the referred answer.' })
  @ContractRoute(ReviewDto)
  @ApiCreatedResponse({ type: FinalDecisionDto })
  @ApiErrors({
    404: 'No referral with this prediction_id is held here (not referred, or forgotten past REFERRAL_CAPACITY).',
    409: 'A final decision on this prediction was recorded already.',
    503: 'DECISION_LOG is off or could not be written: nothing was recorded; retry.',
  })
  async decide(
    @Param('prediction_id') predictionId: string,
    @ContractBody() review: ReviewDto,
    @Req() request: FastifyRequest,
  ): Promise<FinalDecisionDto> {
    if (!isUUID(predictionId)) throw new BadRequestException('prediction_id must be a UUID');
    const reviewer = (request as ReviewedRequest)[REVIEWER]!;
    const outcome = await this.decisions.record(predictionId.toLowerCase(), review, reviewer);
    switch (outcome.status) {
      case 'recorded':
        return outcome.record;
      case 'unknown':
        throw new NotFoundException(
          `no referral with prediction_id ${predictionId} is held here: it was not referred, or was forgotten past REFERRAL_CAPACITY`,
        );
      case 'decided':
        throw new ConflictException(`a final decision on prediction ${predictionId} was recorded already`);
      case 'unavailable':
        throw new ServiceUnavailableException(outcome.reason);
    }
  }
}
