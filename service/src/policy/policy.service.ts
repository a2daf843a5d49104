import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RefreshOutcome } from '../model/refresh-outcome.js';
import { RefreshSchedule } from '../model/refresh-schedule.js';
import { SerialQueue } from '../model/serial-queue.js';
import { isTimeout } from '../storage/blob-store.js';
import type { ServingPolicy } from './credit-policy.js';
import { BUILT_IN_POLICY } from './default-policy.js';
import { POLICY_STORE } from './policy.tokens.js';
import { PolicyStore, PolicyVerificationError } from './policy-store.js';

/**
 * Holds the credit policy that decides and swaps it without a restart, as ModelService does models: the
 * POLICY_CHANNEL pointer beside the models is read every MODEL_POLL_INTERVAL_S and on SIGHUP; a new version is
 * read, verified (schema, field rules, every example decided as stated) and only then made active, in one
 * assignment. A version that fails is not tried again until the channel moves (a reload meanwhile answers its
 * failure again, as the model's does). While the store has no policy
 * channel, the built-in default decides (the version's threshold, no rules: what the service always did).
 * When the channel exists but no version of it has verified yet, there is no policy and /predict answers 503:
 * a broken policy never decides, not even at start.
 */
@Injectable()
export class PolicyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PolicyService.name);
  private readonly logThrottle = new LogThrottle(10_000);
  private active: ServingPolicy | null = null;
  /** The channel pointer (version and time) that last failed, and why: not tried again until it changes. */
  private failed: { stamp: string; reason: string } | null = null;
  private readonly schedule: RefreshSchedule;
  private readonly queue = new SerialQueue();

  constructor(
    @Inject(POLICY_STORE) private readonly store: PolicyStore,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {
    this.schedule = new RefreshSchedule(() => this.refresh(), config.pollIntervalS);
  }

  /** The policy deciding now; null only while a channel exists and none of its versions has verified. */
  current(): ServingPolicy | null {
    return this.active;
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.schedule.stop();
    await this.queue.idle;
  }

  /** Moves to the channel's version. Calls run one at a time. */
  refresh(): Promise<RefreshOutcome> {
    return this.queue.run(() => this.followChannel());
  }

  private async followChannel(): Promise<RefreshOutcome> {
    let pointer;
    try {
      pointer = await this.store.readChannel(this.config.policyChannel);
    } catch (error) {
      return this.failure(null, error, 'policy channel unreadable; keeping the current policy');
    }
    if (!pointer) {
      // No channel: the built-in default decides (a store from before policies, or one that never published).
      if (this.active) return { status: 'unchanged', version: this.active.policy_version };
      return this.activate(BUILT_IN_POLICY);
    }
    if (pointer.version === this.active?.policy_version) return { status: 'unchanged', version: pointer.version };
    const stamp = `${pointer.version} ${pointer.updated_at}`;
    if (this.failed?.stamp === stamp) {
      const reason = `failed before, not tried again until the channel moves: ${this.failed.reason}`;
      return { status: 'failed', version: pointer.version, reason, serving: this.active?.policy_version ?? null };
    }
    try {
      return this.activate(await this.store.read(pointer.version));
    } catch (error) {
      const outcome = this.failure(pointer.version, error, 'credit policy rejected; keeping the current policy');
      if (!isTimeout(error)) this.failed = { stamp, reason: outcome.reason };
      return outcome;
    }
  }

  private activate(policy: ServingPolicy): RefreshOutcome {
    const previous = this.active?.policy_version ?? null;
    this.active = policy;
    this.failed = null;
    this.metrics.policySwaps.inc({ outcome: 'success' });
    this.metrics.setActivePolicy(policy.policy_version);
    this.logger.log({
      message: 'credit policy activated',
      version: policy.policy_version,
      previous,
      knock_outs: policy.knock_outs.length,
      segments: policy.cutoffs.segments?.length ?? 0,
    });
    return { status: 'swapped', version: policy.policy_version, previous };
  }

  /** A store that could not be read, or a version that failed verification: logged at a limited rate, counted. */
  private failure(
    version: string | null,
    error: unknown,
    message: string,
  ): Extract<RefreshOutcome, { status: 'failed' }> {
    const problems = error instanceof PolicyVerificationError ? error.problems : undefined;
    const reason = problems ? `fails verification: ${problems.join('; ')}` : (error as Error).message;
    const kind = problems ? 'rejected' : isTimeout(error) ? 'timeout' : 'error';
    this.metrics.policySwaps.inc({ outcome: kind === 'rejected' ? 'failure' : `store_${kind}` });
    const serving = this.active?.policy_version ?? null;
    this.logThrottle.run(`policy-${kind}-${version}`, (suppressed) =>
      this.logger.error({ message, version, reason, problems, kind, suppressed, serving }),
    );
    return { status: 'failed', version, reason, serving };
  }
}
