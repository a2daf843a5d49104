import { BadRequestException, Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto.js';
import { Access } from '../security/access.decorator.js';
import { ContractBody, ContractRoute } from '../common/contract-body.js';
import { BatchRequestDto, BatchResponseDto } from './dto/batch.dto.js';
import { LoanApplicationDto } from '../contract/loan-application.dto.js';
import { PredictionDto } from './dto/prediction.dto.js';
import { PredictService } from './predict.service.js';

/** ?explain=true|false; anything else is a client's mistake, answered 400. */
function explainFlag(value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new BadRequestException('explain must be true or false');
}

const EXPLAIN_QUERY = ApiQuery({
  name: 'explain',
  required: false,
  enum: ['true', 'false'],
  description: "true: every answer also carries every feature's contribution (declines always carry their reasons)",
});

@ApiTags('predict')
@Access('client')
@Controller('predict')
export class PredictController {
  constructor(private readonly predictions: PredictService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Probability of default and decision for one loan application' })
  @ApiOkResponse({ type: PredictionDto })
  @ApiErrors({ 503: 'No model is loaded yet.' })
  @ContractRoute(LoanApplicationDto, PredictionDto)
  @EXPLAIN_QUERY
  async predict(
    @ContractBody() application: LoanApplicationDto,
    @Req() request: FastifyRequest,
    @Query('explain') explain?: string,
  ): Promise<PredictionDto> {
    const [prediction] = await this.predictions.predict([application], String(request.id), explainFlag(explain));
    return prediction;
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score up to 1,000 applications at once, in order, with one model version' })
  @ApiOkResponse({ type: BatchResponseDto })
  @ApiErrors({ 503: 'No model is loaded yet.' })
  @ContractRoute(BatchRequestDto, BatchResponseDto)
  @EXPLAIN_QUERY
  async predictBatch(
    @ContractBody() body: BatchRequestDto,
    @Req() request: FastifyRequest,
    @Query('explain') explain?: string,
  ): Promise<BatchResponseDto> {
    return { predictions: await this.predictions.predict(body.applications, String(request.id), explainFlag(explain)) };
  }
}
