import { readFileSync } from 'node:fs';
import { DEFAULT_MASTER_SCALE, gradeOf } from '../../service/src/model/master-scale.js';
import path from 'node:path';
import { BROKEN_RULES, VALID_APPLICATION, withField, withoutField } from '../helpers/applications.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

const production = JSON.parse(readFileSync(path.join(DEMO_STORE, 'loan-default/channels/production.json'), 'utf8'));
const statuses: number[] = [];

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});

afterAll(async () => {
  await service.stop();
});

async function post(route: string, body: unknown, headers: Record<string, string> = {}) {
  const answer = await postJson(`${service.url}${route}`, body, headers);
  statuses.push(answer.status);
  return answer;
}

describe('POST /predict on the demo model', () => {
  it('answers a valid application with every field of the contract', async () => {
    const { status, json, headers } = await post('/predict', { ...VALID_APPLICATION, application_id: 'app-1' });
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(
      [
        'application_id',
        'decision',
        'model_version',
        'policy_version',
        'prediction_id',
        'probability_of_default',
        'rating_grade',
        'rules_fired',
        'threshold',
      ].sort(),
    );
    // The demo store's production policy: the default, which fires no rule.
    expect(json.policy_version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{7}$/);
    expect(json.rules_fired).toEqual([]);
    // The grade of its probability on the version's master scale (the default scale: the demo predates them).
    expect(json.rating_grade).toBe(gradeOf(DEFAULT_MASTER_SCALE, json.probability_of_default));
    expect(json.application_id).toBe('app-1');
    expect(json.model_version).toBe(production.version);
    expect(json.probability_of_default).toBeGreaterThan(0);
    expect(json.probability_of_default).toBeLessThan(1);
    expect(json.decision).toBe(json.probability_of_default >= json.threshold ? 'decline' : 'approve');
    expect(json.prediction_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers.get('x-request-id')).toBeTruthy();
  });

  it('leaves application_id out when none was sent, and gives each prediction its own id', async () => {
    const a = await post('/predict', VALID_APPLICATION);
    const b = await post('/predict', VALID_APPLICATION);
    expect(a.json).not.toHaveProperty('application_id');
    expect(a.json.prediction_id).not.toBe(b.json.prediction_id);
    expect(a.json.probability_of_default).toBe(b.json.probability_of_default);
  });

  it('declines a risky application and approves a safe one', async () => {
    const risky = await post('/predict', {
      ...VALID_APPLICATION,
      employment_status: 'Unemployed',
      grade_subgrade: 'F5',
      debt_to_income_ratio: 0.6,
      credit_score: 480,
    });
    const safe = await post('/predict', { ...VALID_APPLICATION, employment_status: 'Retired', grade_subgrade: 'A1' });
    expect(risky.json.decision).toBe('decline');
    expect(safe.json.decision).toBe('approve');
    expect(risky.json.probability_of_default).toBeGreaterThan(safe.json.probability_of_default);
  });

  it.each(BROKEN_RULES)('rejects %s = %p with 400 naming the field', async (field, value, words) => {
    const body = value === undefined ? withoutField(field) : withField(field, value);
    const { status, json } = await post('/predict', body);
    expect(status).toBe(400);
    expect(json.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    expect(json.message.join(' ')).toContain(words);
  });

  it('rejects an unknown field, naming it', async () => {
    const { status, json } = await post('/predict', { ...VALID_APPLICATION, favourite_colour: 'blue' });
    expect(status).toBe(400);
    expect(json.errors).toEqual([
      {
        field: 'favourite_colour',
        message: 'favourite_colour is not a field of this request (unknown fields are rejected)',
      },
    ]);
  });

  it('rejects an empty body, an empty object, a non-JSON body and non-object JSON', async () => {
    const empty = await post('/predict', '');
    expect(empty.status).toBe(400);
    const emptyObject = await post('/predict', {});
    expect(emptyObject.status).toBe(400);
    expect(emptyObject.json.errors).toHaveLength(11);
    const broken = await post('/predict', '{"annual_income": ');
    expect(broken.status).toBe(400);
    expect(broken.json.message[0]).toMatch(/not valid JSON/);
    for (const body of ['[]', '"text"', 'null', '42', `[${JSON.stringify(VALID_APPLICATION)}]`]) {
      const answer = await post('/predict', body);
      expect(answer.status).toBe(400);
      expect(answer.json.message).toEqual(['the body must be a JSON object']);
    }
  });

  it('rejects wrong content types with 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const { status, json } = await post('/predict', JSON.stringify(VALID_APPLICATION), { 'content-type': type });
      expect(status).toBe(415);
      expect(json.message).toEqual(['content-type must be application/json']);
    }
  });
});

describe('POST /predict/batch', () => {
  it('scores a batch in order with one model version', async () => {
    const applications = [
      { ...VALID_APPLICATION, application_id: 'a' },
      { ...VALID_APPLICATION, employment_status: 'Unemployed', application_id: 'b' },
      { ...VALID_APPLICATION, grade_subgrade: 'A1', application_id: 'c' },
    ];
    const { status, json } = await post('/predict/batch', { applications });
    expect(status).toBe(200);
    expect(json.predictions.map((p: { application_id: string }) => p.application_id)).toEqual(['a', 'b', 'c']);
    expect(new Set(json.predictions.map((p: { model_version: string }) => p.model_version)).size).toBe(1);
    const single = await post('/predict', applications[1]);
    expect(json.predictions[1].probability_of_default).toBe(single.json.probability_of_default);
  });

  it('accepts 1,000 applications and refuses 1,001', async () => {
    const ok = await post('/predict/batch', { applications: Array(1000).fill(VALID_APPLICATION) });
    expect(ok.status).toBe(200);
    expect(ok.json.predictions).toHaveLength(1000);
    const over = await post('/predict/batch', { applications: Array(1001).fill(VALID_APPLICATION) });
    expect(over.status).toBe(400);
    expect(over.json.errors).toEqual([{ field: 'applications', message: 'applications must hold at most 1000 items' }]);
  });

  it('names the item and field of a bad application, and rejects empty and malformed batches', async () => {
    const bad = await post('/predict/batch', { applications: [VALID_APPLICATION, withField('credit_score', 'abc')] });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['applications.1.credit_score']);
    expect((await post('/predict/batch', { applications: [] })).status).toBe(400);
    expect((await post('/predict/batch', {})).json.errors[0].field).toBe('applications');
    expect((await post('/predict/batch', { applications: [1, 'x'] })).status).toBe(400);
    expect((await post('/predict/batch', { applications: VALID_APPLICATION })).status).toBe(400);
    expect((await post('/predict/batch', { applications: [VALID_APPLICATION], extra: 1 })).status).toBe(400);
  });
});

describe('health and docs', () => {
  it('is live and ready with the production version', async () => {
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    const ready: any = await (await fetch(`${service.url}/health/ready`)).json();
    expect(ready.details.model).toEqual({ status: 'up', version: production.version });
  });

  it('serves Swagger UI at /docs and an OpenAPI document listing /predict with a working example', async () => {
    const page = await fetch(`${service.url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const doc: any = await (await fetch(`${service.url}/docs-json`)).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/predict', '/predict/batch', '/health/ready']));
    const schema = doc.components.schemas.LoanApplicationDto;
    expect(schema.required.sort()).toEqual(Object.keys(VALID_APPLICATION).sort());
    const example = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, (v as { example: unknown }).example]),
    );
    const executed = await post('/predict', example);
    expect(executed.status).toBe(200);
  });

  it('logs requests as JSON lines with request id, route, status and model version', async () => {
    await post('/predict', VALID_APPLICATION, { 'x-request-id': 'trace-abc-123' });
    await new Promise((r) => setTimeout(r, 100));
    const line = service.logs.find((l) => l.request_id === 'trace-abc-123');
    expect(line).toMatchObject({ route: '/predict', status: 200, method: 'POST', model_version: production.version });
    expect(typeof line!.latency_ms).toBe('number');
  });
});

afterAll(() => {
  // No answer in this suite may be a 500.
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  expect(statuses.length).toBeGreaterThan(40);
});
