import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { ChallengersService } from '../model/challengers.service.js';
import { describeVersions, readChallenger } from '../model/channels.js';
import { VERSION_PATTERN } from '../model/manifest.js';
import { MODEL_STORE, type ModelStore } from '../model/model-store.js';
import { ModelService } from '../model/model.service.js';
import { ModelListDto } from './dto/model-list.dto.js';
import { RefreshOutcomeDto } from './dto/refresh-outcome.dto.js';
import { refreshAnswer } from './refresh-answer.js';

/** The admin routes' work: the store's versions beside what this instance serves, and model moves as answers. */
@Injectable()
export class AdminService {
  constructor(
    private readonly models: ModelService,
    private readonly challengers: ChallengersService,
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async list(): Promise<ModelListDto> {
    const { modelName, modelChannel } = this.config;
    const [versions, channel, shadow, canary] = await Promise.all([
      describeVersions(this.store, modelName),
      this.store.readChannel(modelName, modelChannel).catch(() => null),
      readChallenger(this.store, modelName, 'shadow').catch(() => null),
      readChallenger(this.store, modelName, 'canary').catch(() => null),
    ]);
    const active = this.models.current()?.version ?? null;
    return {
      store: this.store.location,
      name: modelName,
      channel: modelChannel,
      active,
      pinned: this.models.pinnedVersion,
      production: channel,
      challengers: {
        shadow: {
          channel_version: shadow?.version ?? null,
          serving: this.challengers.current('shadow')?.version ?? null,
        },
        canary: {
          channel_version: canary?.version ?? null,
          serving: this.challengers.current('canary')?.version ?? null,
          weight: canary?.weight ?? null,
        },
      },
      versions: versions.map((v) => ({
        ...v,
        active: v.version === active,
        production: v.version === channel?.version,
      })),
    };
  }

  async reload(): Promise<RefreshOutcomeDto> {
    // Side by side: a frozen store costs one deadline, not one per channel.
    const [outcome] = await Promise.all([this.models.refresh(), this.challengers.refresh()]);
    return refreshAnswer(outcome);
  }

  async activate(version: string): Promise<RefreshOutcomeDto> {
    if (!VERSION_PATTERN.test(version)) throw new NotFoundException(`'${version.slice(0, 64)}' is not a version id`);
    return refreshAnswer(await this.models.activate(version));
  }

  async unpin(): Promise<RefreshOutcomeDto> {
    return refreshAnswer(await this.models.unpin());
  }
}
