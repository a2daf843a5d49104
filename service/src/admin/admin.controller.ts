import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiTags } from '@nestjs/swagger';
import { appConfig } from '../config/app.config.js';
import { VERSION_PATTERN } from '../model/manifest.js';
import { MODEL_STORE, type ModelStore } from '../model/model-store.js';
import { ActivateOutcome, ModelService, RefreshOutcome } from '../model/model.service.js';
import { describeVersions } from '../model/channels.js';
import { Access } from '../security/access.decorator.js';

function answer(outcome: ActivateOutcome): RefreshOutcome {
  if (outcome.status === 'not_found') throw new NotFoundException(`version ${outcome.version} is not in the model store`);
  if (outcome.status === 'failed') throw new UnprocessableEntityException({ statusCode: 422, message: outcome.reason, ...outcome });
  return outcome;
}

@ApiTags('admin')
@Access('admin')
@Controller('admin/models')
export class AdminController {
  constructor(
    private readonly models: ModelService,
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  /** Every version with its metrics, which one this instance serves, and where the channel points. */
  @Get()
  async list() {
    const { modelName, modelChannel } = this.config;
    const [versions, channel] = await Promise.all([
      describeVersions(this.store, modelName),
      this.store.readChannel(modelName, modelChannel).catch(() => null),
    ]);
    const active = this.models.current()?.version ?? null;
    return {
      store: this.store.location,
      name: modelName,
      channel: modelChannel,
      active,
      pinned: this.models.pinnedVersion,
      production: channel,
      versions: versions.map((v) => ({ ...v, active: v.version === active, production: v.version === channel?.version })),
    };
  }

  /** Checks the channel now instead of waiting for the next poll. */
  @Post('reload')
  @HttpCode(200)
  async reload() {
    return answer(await this.models.refresh());
  }

  /** Pins this instance to a version (the channel is ignored until the pin is removed). */
  @Post(':version/activate')
  @HttpCode(200)
  async activate(@Param('version') version: string) {
    if (!VERSION_PATTERN.test(version)) throw new NotFoundException(`'${version.slice(0, 64)}' is not a version id`);
    return answer(await this.models.activate(version));
  }

  /** Removes the pin and follows the channel again. */
  @Delete('pin')
  @HttpCode(200)
  async unpin() {
    return answer(await this.models.unpin());
  }
}
