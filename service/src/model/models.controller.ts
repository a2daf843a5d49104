import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ModelService } from './model.service.js';
import { Access } from '../security/access.decorator.js';

@Access('monitoring')
@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelService) {}

  /** The version serving now, when it was made, and its holdout metrics. */
  @Get('active')
  active() {
    const model = this.models.current();
    if (!model) throw new ServiceUnavailableException('no model is loaded yet');
    const { version, created_at, metrics, threshold } = model.manifest;
    return { version, created_at, metrics, threshold: threshold.value, pinned: this.models.pinnedVersion !== null };
  }
}
