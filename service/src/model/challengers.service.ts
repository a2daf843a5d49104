import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PreprocessingService } from '../preprocessing/preprocessing.service.js';
import { ARTIFACT_CACHE, ArtifactCache } from './artifact-cache.js';
import { ArtifactPreflight, loadVersion, servingBatching } from './load-version.js';
import { ARTIFACT_PREFLIGHT } from './off-thread-verifier.js';
import { LoadedModel } from './loaded-model.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { CHALLENGER_CHANNELS, ChallengerChannel, ChallengerPointer, MAX_CANARY_WEIGHT } from './manifest.js';
import { MODEL_STORE, type ModelStore } from './model-store.js';

interface Challenger {
  model: LoadedModel | null;
  weight: number;
  /** The version that last failed to load, and its files' fingerprint: tried again only when either changes. */
  failed: { version: string; fingerprint: string | null } | null;
}

/** FNV-1a of an application id, as a fraction in [0, 1): the same id always lands in the same place. */
export function idFraction(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 2 ** 32;
}

/**
 * The challengers beside production: the versions the `shadow` and `canary` channels point at, followed with
 * the same poll and the same verification as production (sha256, feature spec, canaries, trees). A challenger
 * that cannot be loaded is logged at a limited rate and counted; production never notices. The canary answers
 * its weight's share of applications: by application_id when one is sent (the same application always gets
 * the same version), else at random; a batch is routed as one, by its first application.
 */
@Injectable()
export class ChallengersService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChallengersService.name);
  private readonly throttle = new LogThrottle(10_000);
  private readonly challengers: Record<ChallengerChannel, Challenger> = {
    shadow: { model: null, weight: 0, failed: null },
    canary: { model: null, weight: 0, failed: null },
  };
  private refreshing: Promise<void> | null = null;
  private readonly schedule: RefreshSchedule;

  constructor(
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly preprocessing: PreprocessingService,
    private readonly metrics: MetricsService,
    @Inject(ARTIFACT_CACHE) private readonly cache: ArtifactCache | null,
    @Optional() @Inject(ARTIFACT_PREFLIGHT) private readonly preflight: ArtifactPreflight | null,
  ) {
    this.schedule = new RefreshSchedule(() => this.refresh(), config.pollIntervalS);
  }

  onApplicationBootstrap(): void {
    // On production's schedule, SIGHUP included.
    this.schedule.start();
  }

  /** A refresh under way is not awaited: its store calls have their own deadline, and nothing waits on them. */
  onApplicationShutdown(): void {
    this.schedule.stop();
  }

  current(channel: ChallengerChannel): LoadedModel | null {
    return this.challengers[channel].model;
  }

  /** The canary, leased, when it should answer these applications; null for production. */
  routeToCanary(applications: readonly { application_id?: string | null }[]): LoadedModel | null {
    const { model, weight } = this.challengers.canary;
    if (!model || weight <= 0) return null;
    const id = applications[0]?.application_id;
    const draw = typeof id === 'string' ? idFraction(id) : Math.random();
    return draw < weight ? model.acquire() : null;
  }

  /**
   * Reads both challenger channels (side by side) and loads what changed; one refresh at a time, each store call under
   * its deadline.
   */
  refresh(): Promise<void> {
    this.refreshing ??= Promise.all(CHALLENGER_CHANNELS.map((channel) => this.follow(channel)))
      .then(() => undefined)
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async follow(channel: ChallengerChannel): Promise<void> {
    const challenger = this.challengers[channel];
    const { modelName } = this.config;
    let pointer: ChallengerPointer | null;
    try {
      pointer = (await this.store.readChannel(modelName, channel)) as ChallengerPointer | null;
    } catch (error) {
      this.fail(channel, null, error);
      return;
    }
    const version = pointer?.version ?? null;
    challenger.weight =
      channel === 'canary' ? Math.min(MAX_CANARY_WEIGHT, Math.max(0, Number(pointer?.weight ?? 0) || 0)) : 0;
    if (version === null) {
      this.replace(channel, null);
      return;
    }
    if (version === challenger.model?.version) {
      this.publish();
      return;
    }
    const fingerprint = await this.store.fingerprint(modelName, version).catch(() => null);
    if (challenger.failed?.version === version && challenger.failed.fingerprint === fingerprint) return;
    try {
      const model = await loadVersion(this.store, modelName, version, {
        compile: (spec) => this.preprocessing.compile(spec),
        cache: this.cache ?? undefined,
        batching: servingBatching(this.config),
        preflight: this.preflight ?? undefined,
      });
      challenger.failed = null;
      this.replace(channel, model);
      this.metrics.challengerLoads.inc({ channel, outcome: 'success' });
      this.logger.log({
        message: `${channel} version activated`,
        channel,
        version,
        weight: channel === 'canary' ? challenger.weight : undefined,
      });
    } catch (error) {
      challenger.failed = { version, fingerprint };
      this.fail(channel, version, error);
    }
  }

  private replace(channel: ChallengerChannel, model: LoadedModel | null): void {
    const challenger = this.challengers[channel];
    const previous = challenger.model;
    challenger.model = model;
    if (previous && previous !== model) {
      previous.retire();
      this.logger.log({ message: `${channel} version retired`, channel, version: previous.version });
    }
    this.publish();
  }

  private publish(): void {
    this.metrics.challengerActive.reset();
    for (const channel of CHALLENGER_CHANNELS) {
      const { model, weight } = this.challengers[channel];
      if (model)
        this.metrics.challengerActive.set({ channel, version: model.version }, channel === 'canary' ? weight : 1);
    }
  }

  private fail(channel: ChallengerChannel, version: string | null, error: unknown): void {
    this.metrics.challengerLoads.inc({ channel, outcome: 'failure' });
    this.throttle.run(`${channel}-${version}`, (suppressed) =>
      this.logger.error({
        message: `${channel} version not loaded; production is unaffected`,
        channel,
        version,
        reason: (error as Error).message,
        suppressed,
      }),
    );
  }
}
