import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { PreprocessingService } from '../preprocessing/preprocessing.service.js';
import { LoadedModel, loadVersion, ModelRejectedError } from './loaded-model.js';
import { MODEL_STORE, type ModelStore } from './model-store.js';

export type RefreshOutcome =
  | { status: 'unchanged'; version: string | null }
  | { status: 'swapped'; version: string; previous: string | null }
  | { status: 'failed'; version: string | null; reason: string };

/**
 * Holds the model that serves. It resolves the channel to a version through the ModelStore, verifies the
 * version in a fresh session, and only then makes it the active one; a version that fails is not retried
 * until the channel points elsewhere, so a bad artifact costs one attempt, not one per poll.
 */
@Injectable()
export class ModelService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelService.name);
  private active: LoadedModel | null = null;
  private failedVersion: string | null = null;
  private inFlightRefresh: Promise<RefreshOutcome> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly preprocessing: PreprocessingService,
  ) {}

  current(): LoadedModel | null {
    return this.active;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    if (this.config.pollIntervalS > 0) {
      this.timer = setInterval(() => void this.refresh(), this.config.pollIntervalS * 1000);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlightRefresh?.catch(() => undefined);
  }

  /** Checks the channel and swaps to the version it names; concurrent calls share one check. */
  refresh(): Promise<RefreshOutcome> {
    this.inFlightRefresh ??= this.checkChannel().finally(() => {
      this.inFlightRefresh = null;
    });
    return this.inFlightRefresh;
  }

  private async checkChannel(): Promise<RefreshOutcome> {
    const { modelName, modelChannel } = this.config;
    let target: string;
    try {
      const pointer = await this.store.readChannel(modelName, modelChannel);
      if (!pointer) throw new Error(`channel ${modelName}/${modelChannel} does not exist in ${this.store.location}`);
      target = pointer.version;
    } catch (error) {
      const reason = (error as Error).message;
      this.logger.error({ message: 'model channel unreadable', reason, store: this.store.location });
      return { status: 'failed', version: this.active?.version ?? null, reason };
    }
    if (target === this.active?.version || target === this.failedVersion) {
      return { status: 'unchanged', version: this.active?.version ?? null };
    }
    return this.swapTo(target);
  }

  private async swapTo(version: string): Promise<RefreshOutcome> {
    const started = Date.now();
    try {
      const next = await loadVersion(this.store, this.config.modelName, version, (spec) =>
        this.preprocessing.compile(spec),
      );
      const previous = this.active;
      this.active = next;
      this.failedVersion = null;
      this.logger.log({ message: 'model activated', version, previous: previous?.version ?? null, ms: Date.now() - started });
      // In-flight requests hold their own reference; onnxruntime frees a session once nothing uses it.
      if (previous) setTimeout(() => void previous.release().catch(() => undefined), 5_000).unref();
      return { status: 'swapped', version, previous: previous?.version ?? null };
    } catch (error) {
      const reason = error instanceof ModelRejectedError ? error.reason : (error as Error).message;
      this.failedVersion = version;
      this.logger.error({ message: 'model rejected, keeping the current one', version, reason, serving: this.active?.version ?? null });
      return { status: 'failed', version, reason };
    }
  }
}
