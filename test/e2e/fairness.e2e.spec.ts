import { GENDERS, MARITAL_STATUSES } from '../../service/src/contract/loan-application.contract.js';
import { randomApplications } from '../helpers/applications.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

/*
 * GET /monitoring/fairness over real HTTP: the live approval rates by protected group agree with a direct count
 * of the answers given, groups under 50 applications are insufficient_data, and /metrics carries the ratios.
 */
let service: RunningService;

beforeAll(async () => {
  service = await startService({ DRIFT_WINDOW: '3000', RATE_LIMIT_PER_MINUTE: '0' });
});

afterAll(async () => {
  await service?.stop();
});

it('agrees with a direct computation on the same decisions, and publishes the ratios on /metrics', async () => {
  // Widowed applicants kept rare on purpose: under 50 in the window.
  const applications = randomApplications(2400, 41).map((a, i) =>
    a.marital_status === 'Widowed' && i % 20 !== 0 ? { ...a, marital_status: 'Single' as const } : a,
  );
  const decisions: ('approve' | 'decline')[] = [];
  for (let i = 0; i < applications.length; i += 800) {
    const answer = await postJson(`${service.url}/predict/batch`, { applications: applications.slice(i, i + 800) });
    expect(answer.status).toBe(200);
    decisions.push(...answer.json.predictions.map((p: { decision: 'approve' | 'decline' }) => p.decision));
  }
  const report = (await (await fetch(`${service.url}/monitoring/fairness`)).json()) as {
    window_size: number;
    attributes: Record<
      string,
      Record<string, { count: number; approval_rate: number; adverse_impact_ratio: number | null; status: string }>
    >;
  };
  expect(report.window_size).toBe(applications.length);
  for (const [attribute, groups] of [
    ['gender', GENDERS],
    ['marital_status', MARITAL_STATUSES],
  ] as const) {
    const rates = new Map<string, number>();
    for (const group of groups) {
      const rows = applications.map((a, i) => ({ a, d: decisions[i] })).filter(({ a }) => a[attribute] === group);
      const approved = rows.filter(({ d }) => d === 'approve').length;
      const figures = report.attributes[attribute][group];
      expect(figures.count).toBe(rows.length);
      expect(figures.approval_rate).toBeCloseTo(approved / rows.length, 12);
      if (rows.length >= 50) rates.set(group, approved / rows.length);
      else expect(figures).toMatchObject({ status: 'insufficient_data', adverse_impact_ratio: null });
    }
    const best = Math.max(...rates.values());
    for (const [group, rate] of rates)
      expect(report.attributes[attribute][group].adverse_impact_ratio).toBeCloseTo(rate / best, 12);
  }
  expect(report.attributes.marital_status.Widowed.status).toBe('insufficient_data');
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  expect(metrics).toMatch(/fairness_adverse_impact_ratio\{attribute="gender",group="Female"\} [0-9.]+/);
  expect(metrics).not.toMatch(/fairness_adverse_impact_ratio\{attribute="marital_status",group="Widowed"\}/);
});
