import { Controller, Get, HttpCode, Post, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto.js';
import type { ServingPolicy } from '../policy/credit-policy.js';
import { PolicyService } from '../policy/policy.service.js';
import { Access } from '../security/access.decorator.js';
import { ServingPolicyDto } from './dto/policy.dto.js';
import { RefreshOutcomeDto } from './dto/refresh-outcome.dto.js';
import { refreshAnswer } from './refresh-answer.js';

@ApiTags('admin')
@Access('admin')
@Controller('admin/policy')
export class PolicyAdminController {
  constructor(private readonly policies: PolicyService) {}

  @Get()
  @ApiOperation({ summary: 'The credit policy deciding now, whole (its version, knock-outs, cut-offs and examples)' })
  @ApiOkResponse({ type: ServingPolicyDto })
  @ApiErrors({ 503: 'The policy channel names no version that has verified yet.' })
  current(): ServingPolicy {
    const policy = this.policies.current();
    if (!policy) throw new ServiceUnavailableException('no credit policy is loaded yet');
    return policy;
  }

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check the policy channel now instead of waiting for the next poll' })
  @ApiOkResponse({ type: RefreshOutcomeDto })
  @ApiErrors({
    422: 'The version the channel names failed verification (every problem named) or could not be read; the policy serving keeps serving.',
  })
  async reload(): Promise<RefreshOutcomeDto> {
    return refreshAnswer(await this.policies.refresh());
  }
}
