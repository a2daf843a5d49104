import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto.js';
import { Access } from '../security/access.decorator.js';
import { ActiveModelDto } from './dto/active-model.dto.js';
import { ModelService } from './model.service.js';

@Access('monitoring')
@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelService) {}

  @Get('active')
  @ApiOperation({ summary: 'The version serving now, when it was made, and its holdout metrics' })
  @ApiOkResponse({ type: ActiveModelDto })
  @ApiErrors({ 503: 'No model is loaded yet.' })
  active(): ActiveModelDto {
    return this.models.describeActive();
  }
}
