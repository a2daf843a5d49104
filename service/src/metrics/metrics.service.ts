import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CounterSeries, HistogramSeries, PlainCounter, PlainHistogram } from './plain-metrics.js';

/** Every Prometheus metric the service exposes at GET /metrics, on one registry of its own. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly modelSwaps = new Counter({
    name: 'model_swaps_total',
    help: 'Model version changes attempted, by outcome (success, failure)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly activeModel = new Gauge({
    name: 'model_active_info',
    help: 'The model version serving now (value 1)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly challengerLoads = new Counter({
    name: 'challenger_loads_total',
    help: 'Shadow and canary versions loaded, by channel and outcome (success, failure)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly challengerActive = new Gauge({
    name: 'challenger_active_info',
    help: 'The shadow and canary versions serving now (value: 1, or the canary weight)',
    labelNames: ['channel', 'version'] as const,
    registers: [this.registry],
  });
  readonly shadowScores = new Counter({
    name: 'shadow_scores_total',
    help: 'Applications the shadow version was asked to score, by outcome (scored, failed, skipped while too many rows waited for it)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly policySwaps = new Counter({
    name: 'policy_swaps_total',
    help: 'Credit policy changes attempted, by outcome (success; failure: it failed verification; store_timeout, store_error: the store could not be read)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly activePolicy = new Gauge({
    name: 'policy_active_info',
    help: 'The credit policy version deciding now (value 1; "default" is the built-in one)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly reviews = new Counter({
    name: 'reviewer_decisions_total',
    help: "Reviewers' final decisions on referred applications, by final decision and whether it differs from the model's threshold alone (override)",
    labelNames: ['final_decision', 'override'] as const,
    registers: [this.registry],
  });
  readonly referralShareFailures = new Counter({
    name: 'referral_share_failures_total',
    help: "Referrals not shared with the fleet's Redis, by reason (error: Redis failed; backlog: too many writes waiting); a reviewer must then reach the instance that answered them",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly modelLoadSeconds = new Histogram({
    name: 'model_load_seconds',
    help: 'Time to fetch and verify a model version',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  // Counted on every request or row: plain numbers, published at scrape time (plain-metrics.ts says why).
  readonly httpRequests = new PlainCounter<'method' | 'route' | 'status'>(
    'http_requests_total',
    'HTTP requests answered, by method, route and status',
    this.registry,
  );
  readonly httpDuration = new PlainHistogram<'method' | 'route' | 'status'>(
    'http_request_duration_seconds',
    'Time from request to answer, by method, route and status',
    this.registry,
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly predictions = new PlainCounter<'decision'>(
    'predictions_total',
    'Applications scored, by decision',
    this.registry,
  );
  readonly rulesFired = new PlainCounter<'rule'>(
    'policy_rules_fired_total',
    "Answers on which a credit policy rule fired, by rule (a knock-out's code, or segment:<name>)",
    this.registry,
  );
  readonly scores = new PlainHistogram<never>(
    'prediction_probability_of_default',
    'Distribution of probability_of_default answered',
    this.registry,
    [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  );
  readonly captureQueueDepth = new Gauge({
    name: 'prediction_capture_queue_depth',
    help: 'Prediction records waiting to be written',
    registers: [this.registry],
  });
  readonly captureDropped = new Counter({
    name: 'prediction_capture_dropped_total',
    help: 'Prediction records dropped because the capture queue was full',
    registers: [this.registry],
  });
  readonly captureWritten = new Counter({
    name: 'prediction_capture_written_total',
    help: 'Prediction records written to PREDICTION_LOG',
    registers: [this.registry],
  });
  readonly captureWriteFailures = new Counter({
    name: 'prediction_capture_write_failures_total',
    help: 'Failed writes to PREDICTION_LOG (their records stay queued)',
    registers: [this.registry],
  });
  readonly captureSpilled = new Counter({
    name: 'prediction_capture_spilled_total',
    help: 'Prediction records written to the local spill directory because PREDICTION_LOG could not take them (an outage filling the queue, or shutdown)',
    registers: [this.registry],
  });
  readonly captureSpillFiles = new Gauge({
    name: 'prediction_capture_spill_files',
    help: 'Prediction files in the spill directory waiting for PREDICTION_LOG',
    registers: [this.registry],
  });
  readonly captureSpillDelivered = new Counter({
    name: 'prediction_capture_spill_delivered_total',
    help: 'Prediction files moved from the spill directory to PREDICTION_LOG',
    registers: [this.registry],
  });
  readonly captureLost = new Counter({
    name: 'prediction_capture_lost_total',
    help: 'Prediction records that neither PREDICTION_LOG nor the spill directory could take',
    registers: [this.registry],
  });
  readonly storeReadFailures = new Counter({
    name: 'model_store_read_failures_total',
    help: 'Failed reads of the model store (channel or artifact), by reason (timeout, error)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private lastChannelRead = Date.now();
  readonly channelReadAge = new Gauge({
    name: 'model_channel_seconds_since_last_read',
    help: 'Seconds since the model channel was last read successfully (since startup before the first read)',
    registers: [this.registry],
    collect: () => {
      this.channelReadAge.set((Date.now() - this.lastChannelRead) / 1000);
    },
  });
  readonly authFailures = new Counter({
    name: 'auth_failures_total',
    help: 'Requests refused for a missing or wrong credential, by kind (api_key, admin_token, metrics_token, reviewer_token)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'rate_limited_total',
    help: 'Requests answered 429, by reason (client: the per-client limit; auth_failures: too many wrong credentials)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rateLimitStorageFailures = new Counter({
    name: 'rate_limit_storage_failures_total',
    help: 'Rate-limit counter updates that failed or missed their deadline (the request passed uncounted)',
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: 'http_connections_refused_total',
    help: 'Connections refused at accept because MAX_CONNECTIONS were open',
    registers: [this.registry],
  });

  channelRead(): void {
    this.lastChannelRead = Date.now();
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Routes are label values by their template (/predict, /admin/models/:version/activate); others are "unmatched". */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.httpRequests.labels(labels, key), duration: this.httpDuration.labels(labels, key) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  private readonly requestSeries = new Map<string, { count: CounterSeries; duration: HistogramSeries }>();

  private readonly decisions = {
    approve: this.predictions.labels({ decision: 'approve' }),
    refer: this.predictions.labels({ decision: 'refer' }),
    decline: this.predictions.labels({ decision: 'decline' }),
  };
  private readonly scoreSeries = this.scores.labels({} as Record<never, string>);

  observePredictions(
    predictions: readonly {
      decision: 'approve' | 'refer' | 'decline';
      probability_of_default: number;
      rules_fired: readonly string[];
    }[],
  ): void {
    for (const p of predictions) {
      this.decisions[p.decision].inc();
      this.scoreSeries.observe(p.probability_of_default);
      for (const rule of p.rules_fired) this.rulesFired.labels({ rule }, rule).inc();
    }
  }

  setActiveModel(version: string): void {
    MetricsService.only(this.activeModel, version);
  }

  setActivePolicy(version: string): void {
    MetricsService.only(this.activePolicy, version);
  }

  /** An info gauge that names one version at a time. */
  private static only(gauge: Gauge<'version'>, version: string): void {
    gauge.reset();
    gauge.set({ version }, 1);
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
