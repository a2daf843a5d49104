import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto.js';
import { Access } from '../security/access.decorator.js';
import { AdminService } from './admin.service.js';
import { ModelListDto } from './dto/model-list.dto.js';
import { RefreshOutcomeDto } from './dto/refresh-outcome.dto.js';

const MOVE_FAILED = {
  422: 'The version failed verification (sha256, feature spec or canaries); the previous one keeps serving.',
};

@ApiTags('admin')
@Access('admin')
@Controller('admin/models')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get()
  @ApiOperation({
    summary: 'Every version with its metrics, which one this instance serves, and where the channel points',
  })
  @ApiOkResponse({ type: ModelListDto })
  list(): Promise<ModelListDto> {
    return this.admin.list();
  }

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check the channel now instead of waiting for the next poll' })
  @ApiOkResponse({ type: RefreshOutcomeDto })
  @ApiErrors(MOVE_FAILED)
  reload(): Promise<RefreshOutcomeDto> {
    return this.admin.reload();
  }

  @Post(':version/activate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pin this instance to a version (the channel is ignored until the pin is removed)' })
  @ApiOkResponse({ type: RefreshOutcomeDto })
  @ApiErrors({ 404: 'No such version in the model store.', ...MOVE_FAILED })
  activate(@Param('version') version: string): Promise<RefreshOutcomeDto> {
    return this.admin.activate(version);
  }

  @Delete('pin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove the pin and follow the channel again' })
  @ApiOkResponse({ type: RefreshOutcomeDto })
  @ApiErrors(MOVE_FAILED)
  unpin(): Promise<RefreshOutcomeDto> {
    return this.admin.unpin();
  }
}
