import { randomApplications } from '../helpers/applications.js';
import { postJson, RunningService, startService, waitFor } from '../helpers/service-process.js';

/*
 * Fleet-wide monitoring: the service writes CloudWatch Embedded Metric Format lines on stdout (the log stream the
 * platform already ships), by model version and without dimensions, with the figures /monitoring/* gives.
 */
let service: RunningService;

beforeAll(async () => {
  service = await startService({ EMF_INTERVAL_S: '1', DRIFT_WINDOW: '200', RATE_LIMIT_PER_MINUTE: '0' });
});

afterAll(async () => {
  await service?.stop();
});

type Emf = Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };

it('writes EMF lines with drift, decisions, fairness and the model version, matching /monitoring', async () => {
  const answer = await postJson(`${service.url}/predict/batch`, { applications: randomApplications(300, 71) });
  expect(answer.status).toBe(200);
  const declines = answer.json.predictions.filter((p: { decision: string }) => p.decision === 'decline').length;
  const emf = () => service.logs.filter((line): line is Emf => '_aws' in line);
  await waitFor(async () => emf().reduce((n, line) => n + Number(line.decisions_approved ?? 0) + Number(line.decisions_declined ?? 0), 0) === 300, 5_000);
  const lines = emf();
  const [directive] = lines[0]._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe('LoanDefault');
  expect(directive.Dimensions).toEqual([['ModelVersion'], []]);
  expect(lines.reduce((n, line) => n + Number(line.decisions_declined ?? 0), 0)).toBe(declines);
  const version = answer.json.predictions[0].model_version;
  expect(lines.every((line) => line.ModelVersion === version)).toBe(true);
  // The latest line's figures are the monitor's (nothing was scored since).
  await waitFor(async () => emf().length > lines.length, 3_000);
  const latest = emf().at(-1)!;
  const drift = (await (await fetch(`${service.url}/monitoring/drift`)).json()) as { features: Record<string, { psi: number }> };
  expect(latest['drift_psi.credit_score']).toBeCloseTo(drift.features.credit_score.psi, 9);
  expect(latest.drift_psi_max).toBeCloseTo(Math.max(...Object.values(drift.features).map((f) => f.psi)), 9);
  expect(typeof latest.fairness_air_min).toBe('number');
  expect(latest._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).toEqual(expect.arrayContaining(['drift_psi_max', 'decisions_approved', 'fairness_air_min']));
});
