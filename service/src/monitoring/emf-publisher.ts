import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { ModelService } from '../model/model.service.js';
import { ScoringEvents } from '../scoring/scoring-events.js';
import { ChallengerMonitor } from './challenger-monitor.js';
import { DriftService } from './drift.service.js';
import { FairnessService } from './fairness.service.js';

import { EMF_NAMESPACE } from './emf-namespace.js';

export { EMF_NAMESPACE };

/**
 * Fleet-wide monitoring: every EMF_INTERVAL_S each instance writes one CloudWatch Embedded Metric Format line
 * (aws-embedded-metrics, to stdout, which the log driver already ships) with its drift PSI, decisions since the
 * last line, fairness ratios and challenger figures, by model version and also without dimensions, so one alarm
 * covers every instance and version. /metrics stays per instance.
 */
@Injectable()
export class EmfPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EmfPublisher.name);
  private readonly throttle = new LogThrottle(60_000);
  private emf: typeof import('aws-embedded-metrics') | null = null;
  private timer: NodeJS.Timeout | null = null;
  private approved = 0;
  private referred = 0;
  private declined = 0;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly events: ScoringEvents,
    private readonly models: ModelService,
    private readonly drift: DriftService,
    private readonly fairness: FairnessService,
    private readonly challengers: ChallengerMonitor,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.emfIntervalS <= 0) return;
    // Lines on stdout, whatever the platform: the awslogs driver or the CloudWatch agent already ships them. The
    // library reads its environment and namespace when it loads, and otherwise looks for an agent on TCP 25888
    // (whose refusal was an unhandled rejection): set them first, then load it.
    process.env.AWS_EMF_ENVIRONMENT = 'Local';
    process.env.AWS_EMF_NAMESPACE = EMF_NAMESPACE;
    // Loaded beside startup, not before listening: publish() skips a line until it is there.
    void import('aws-embedded-metrics').then(
      (emf) => (this.emf = emf),
      (error: Error) =>
        this.logger.warn({ message: 'EMF metrics off: aws-embedded-metrics did not load', reason: error.message }),
    );
    this.events.subscribe((event) => {
      if (event.role !== 'production') return;
      for (const answer of event.answers) {
        if (answer.decision === 'approve') this.approved++;
        else if (answer.decision === 'decline') this.declined++;
        else this.referred++;
      }
    });
    this.timer = setInterval(
      () =>
        void this.publish().catch((error: Error) =>
          this.throttle.run('emf', (suppressed) =>
            this.logger.warn({ message: 'EMF metrics not written', reason: error.message, suppressed }),
          ),
        ),
      this.config.emfIntervalS * 1000,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async publish(): Promise<void> {
    const model = this.models.current();
    if (!model || !this.emf) return;
    const { createMetricsLogger, Unit } = this.emf;
    // Two lines: the figures alarms read across versions (also without dimensions), and the details by version
    // only. Each metric and dimension set is billed as a custom metric: the details once, not twice.
    const summary = createMetricsLogger();
    summary.setDimensions([{ ModelVersion: model.version }, {}]);
    const detail = createMetricsLogger();
    detail.setDimensions([{ ModelVersion: model.version }]);
    summary.putMetric('decisions_approved', this.approved, Unit.Count);
    summary.putMetric('decisions_declined', this.declined, Unit.Count);
    summary.putMetric('decisions_referred', this.referred, Unit.Count);
    this.approved = 0;
    this.referred = 0;
    this.declined = 0;
    const drift = this.drift.report(model);
    const judged = Object.entries(drift.features).filter(([, f]) => f.status !== 'insufficient_data');
    for (const [feature, figure] of judged) detail.putMetric(`drift_psi.${feature}`, figure.psi, Unit.None);
    if (judged.length > 0) summary.putMetric('drift_psi_max', Math.max(...judged.map(([, f]) => f.psi)), Unit.None);
    if (drift.score && drift.score.status !== 'insufficient_data')
      detail.putMetric('drift_psi.probability_of_default', drift.score.psi, Unit.None);
    const ratios: number[] = [];
    for (const [attribute, groups] of Object.entries(this.fairness.report().attributes)) {
      for (const [group, figures] of Object.entries(groups)) {
        if (figures.adverse_impact_ratio === null) continue;
        ratios.push(figures.adverse_impact_ratio);
        detail.putMetric(`fairness_air.${attribute}.${group}`, figures.adverse_impact_ratio, Unit.None);
      }
    }
    if (ratios.length > 0) summary.putMetric('fairness_air_min', Math.min(...ratios), Unit.None);
    const challengers = this.challengers.report();
    for (const channel of ['shadow', 'canary'] as const) {
      const figures = challengers[channel];
      if (figures.decision_agreement !== null)
        detail.putMetric(`challenger_agreement.${channel}`, figures.decision_agreement, Unit.None);
      if (figures.psi !== null) detail.putMetric(`challenger_psi.${channel}`, figures.psi, Unit.None);
    }
    await Promise.all([summary.flush(), detail.flush()]);
  }
}
