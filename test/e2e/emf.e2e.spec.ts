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

type Emf = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
};

it('writes EMF lines with drift, decisions, fairness and the model version, matching /monitoring', async () => {
  const answer = await postJson(`${service.url}/predict/batch`, { applications: randomApplications(300, 71) });
  expect(answer.status).toBe(200);
  const declines = answer.json.predictions.filter((p: { decision: string }) => p.decision === 'decline').length;
  const emf = () => service.logs.filter((line): line is Emf => '_aws' in line);
  await waitFor(
    async () =>
      emf().reduce((n, line) => n + Number(line.decisions_approved ?? 0) + Number(line.decisions_declined ?? 0), 0) ===
      300,
    5_000,
  );
  const isSummary = (line: Emf) => 'decisions_approved' in line;
  // The details line of the same interval may follow its summary by a moment.
  await waitFor(async () => emf().some((line) => !isSummary(line)), 3_000);
  const lines = emf();
  const summaries = lines.filter(isSummary);
  const [directive] = summaries[0]._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe('LoanDefault');
  // What alarms read, by version and fleet-wide; the details by version only (each set is a billed metric).
  expect(directive.Dimensions).toEqual([['ModelVersion'], []]);
  const details = lines.filter((line) => !isSummary(line));
  expect(details[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['ModelVersion']]);
  expect(summaries.reduce((n, line) => n + Number(line.decisions_declined ?? 0), 0)).toBe(declines);
  const version = answer.json.predictions[0].model_version;
  expect(lines.every((line) => line.ModelVersion === version)).toBe(true);
  // The latest lines' figures are the monitor's (nothing was scored since).
  await waitFor(async () => emf().filter(isSummary).length > summaries.length, 3_000);
  const latest = emf().filter(isSummary).at(-1)!;
  const latestDetail = emf()
    .filter((line) => !isSummary(line))
    .at(-1)!;
  const drift = (await (await fetch(`${service.url}/monitoring/drift`)).json()) as {
    features: Record<string, { psi: number }>;
  };
  expect(latestDetail['drift_psi.credit_score']).toBeCloseTo(drift.features.credit_score.psi, 9);
  expect(latestDetail._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).not.toContain('drift_psi_max');
  expect(latest.drift_psi_max).toBeCloseTo(Math.max(...Object.values(drift.features).map((f) => f.psi)), 9);
  expect(typeof latest.fairness_air_min).toBe('number');
  expect(latest._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name).sort()).toEqual([
    'decisions_approved',
    'decisions_declined',
    'decisions_referred',
    'drift_psi_max',
    'fairness_air_min',
  ]);
});
