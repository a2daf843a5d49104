import { EMF_NAMESPACE } from '../../service/src/monitoring/emf-namespace.js';
import type { Backtest } from './backtest.js';
import type { TrafficLight } from './traffic-lights.js';

/** A traffic light as a number an alarm can compare: 2 is red. */
export const LIGHT_LEVEL: Record<Exclude<TrafficLight, 'too_few'>, number> = { green: 0, yellow: 1, red: 2 };
export const CALIBRATION_LIGHT_METRIC = 'production_calibration_light';
export const CALIBRATION_ECE_METRIC = 'production_ece';

/**
 * One CloudWatch Embedded Metric Format line (to stdout, which the task's log driver ships) with production's worst
 * traffic light and expected calibration error on the month's outcomes, by version and without dimensions, so the
 * stack's alarm on red reads one metric whatever the version.
 */
export async function publishCalibrationMetrics(version: string, test: Backtest): Promise<void> {
  // The library reads its environment and namespace when it loads: set them first, then load it.
  process.env.AWS_EMF_ENVIRONMENT = 'Local';
  process.env.AWS_EMF_NAMESPACE = EMF_NAMESPACE;
  const { createMetricsLogger, Unit } = await import('aws-embedded-metrics');
  const metrics = createMetricsLogger();
  metrics.setDimensions([{ ModelVersion: version }, {}]);
  metrics.putMetric(CALIBRATION_LIGHT_METRIC, LIGHT_LEVEL[test.worst_light], Unit.None);
  metrics.putMetric(CALIBRATION_ECE_METRIC, test.portfolio.expected_calibration_error, Unit.None);
  await metrics.flush();
}
