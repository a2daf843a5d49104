import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { generateSync } from 'json-schema-faker';
import { seededRandom } from '../helpers/applications.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

/*
 * The OpenAPI document is the contract, tried as an integrator would: a client that knows only /docs-json.
 * Bodies are generated from the document's own request schemas by a JSON-schema sampler (json-schema-faker),
 * and bodies outside them by pushing one field past one of its rules, read from the same schema. Every valid
 * body must be answered 200 with the documented answer schema; every invalid one 400 with the documented error
 * schema.
 */
type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  additionalProperties?: boolean;
};
interface Operation {
  requestBody: { content: { 'application/json': { schema: Schema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
}

const ADMIN_TOKEN = 'contract-admin-token-0123456789abcdef';
const VALID_BODIES = 300;
const INVALID_BODIES = 300;
const BATCH_BODIES = 100;

let service: RunningService;
let document: {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
};
const ajv = new Ajv({ strict: false, allErrors: false });
// ajv-formats is CommonJS: its function is the default export under ESM interop.
const addFormats = ((ajvFormats as { default?: unknown }).default ?? ajvFormats) as (ajv: Ajv) => Ajv;
addFormats(ajv);
const tried = { valid: 0, invalid: 0 };

beforeAll(async () => {
  service = await startService({ ADMIN_TOKEN: ADMIN_TOKEN });
  const live = (await (await fetch(`${service.url}/docs-json`)).json()) as object;
  document = (await SwaggerParser.dereference(structuredClone(live) as never)) as never;
});

afterAll(async () => {
  await service?.stop();
  process.stdout.write(
    `OpenAPI contract: ${tried.valid} generated valid bodies and ${tried.invalid} invalid ones tried\n`,
  );
});

/** A random integer in [0, n), seeded, so a failure can be replayed. */
function seeded(seed: number) {
  const next = seededRandom(seed);
  return (n: number) => Math.floor(next() * n);
}

/** One way to break `schema`, as a value to put in its place (or `undefined`: leave the key out). */
function breakings(schema: Schema, required: boolean): { rule: string; value: unknown }[] {
  const out: { rule: string; value: unknown }[] = [];
  if (required) out.push({ rule: 'required', value: undefined });
  const types = ([] as unknown[]).concat(schema.type);
  out.push({ rule: 'type', value: types.includes('string') ? 12345 : 'not-a-number' });
  if (!types.includes('null')) out.push({ rule: 'null', value: null });
  if (schema.enum) out.push({ rule: 'enum', value: `${String(schema.enum[0])}-not-allowed` });
  if (schema.minimum !== undefined) out.push({ rule: 'minimum', value: schema.minimum - 1 });
  if (typeof schema.exclusiveMinimum === 'number')
    out.push({ rule: 'exclusiveMinimum', value: schema.exclusiveMinimum });
  if (schema.maximum !== undefined) out.push({ rule: 'maximum', value: schema.maximum + 1 });
  if (schema.type === 'integer') out.push({ rule: 'integer', value: (schema.minimum ?? 0) + 0.5 });
  if (schema.minLength) out.push({ rule: 'minLength', value: '' });
  if (schema.maxLength !== undefined) out.push({ rule: 'maxLength', value: 'x'.repeat(schema.maxLength + 1) });
  if (schema.pattern) out.push({ rule: 'pattern', value: 'zz' });
  return out;
}

/** `body` with one field of `schema` broken (chosen by `pick`), and which. */
function breakOne(body: Record<string, unknown>, schema: Schema, pick: (n: number) => number) {
  const names = Object.keys(schema.properties ?? {});
  const choices = names.flatMap((name) =>
    breakings(schema.properties![name], (schema.required ?? []).includes(name)).map((b) => ({ name, ...b })),
  );
  if (schema.additionalProperties === false)
    choices.push({ name: 'not_in_the_contract', rule: 'additionalProperties', value: 1 });
  const choice = choices[pick(choices.length)];
  const broken = { ...body };
  if (choice.value === undefined) delete broken[choice.name];
  else broken[choice.name] = choice.value;
  return { broken, field: choice.name, rule: choice.rule };
}

/**
 * An OpenAPI 3.0 schema as JSON Schema (for ajv and the sampler): 3.0 writes an exclusive bound as a boolean
 * beside minimum/maximum and null as `nullable`.
 */
function jsonSchema(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map(jsonSchema) as never;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'nullable') continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, jsonSchema(v)]))
        : typeof value === 'object'
          ? jsonSchema(value as Schema)
          : value;
  }
  if (schema.exclusiveMinimum === true) Object.assign(out, { exclusiveMinimum: schema.minimum, minimum: undefined });
  if (schema.exclusiveMaximum === true) Object.assign(out, { exclusiveMaximum: schema.maximum, maximum: undefined });
  if (schema.nullable === true && typeof schema.type === 'string') out.type = [schema.type, 'null'] as never;
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

const validator = (schema: Schema): ValidateFunction => ajv.compile(schema);
const json = (operation: Operation, status: string) => {
  const schema = operation.responses[status]?.content?.['application/json']?.schema;
  return schema && jsonSchema(schema);
};

describe('the live OpenAPI document', () => {
  it('validates as OpenAPI 3 (swagger-parser) and states an opaque bearer scheme, not a JWT', async () => {
    const live = (await (await fetch(`${service.url}/docs-json`)).json()) as { openapi: string };
    await expect(SwaggerParser.validate(structuredClone(live) as never)).resolves.toBeTruthy();
    expect(live.openapi).toMatch(/^3\./);
    for (const name of ['admin-token', 'metrics-token']) {
      expect(document.components.securitySchemes[name]).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(document.components.securitySchemes[name].bearerFormat).toBeUndefined();
    }
  });

  it('lists every route served: scoring, models, monitoring, metrics, health and (ADMIN_TOKEN set) admin', () => {
    const routes = Object.keys(document.paths);
    expect(routes).toEqual(
      expect.arrayContaining([
        '/predict',
        '/predict/batch',
        '/models/active',
        '/monitoring/drift',
        '/monitoring/fairness',
        '/metrics',
        '/health/live',
        '/health/ready',
      ]),
    );
    expect(routes.filter((r) => r.startsWith('/admin/')).length).toBeGreaterThanOrEqual(3);
  });

  it('documents the error shape on every 4xx and 503 answer of every route', () => {
    let checked = 0;
    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const status of Object.keys(operation.responses)) {
          if (!/^4\d\d$|^503$/.test(status)) continue;
          checked++;
          // Health answers 503 with its readiness report (terminus's shape); every other route with the error shape.
          const wanted = route.startsWith('/health/')
            ? { status: expect.anything() }
            : {
                statusCode: expect.anything(),
                error: expect.anything(),
                message: expect.anything(),
                request_id: expect.anything(),
              };
          expect({ route, method, status, properties: json(operation, status)?.properties }).toEqual({
            route,
            method,
            status,
            properties: expect.objectContaining(wanted),
          });
          if (!route.startsWith('/health/'))
            expect(json(operation, status)?.required).toEqual(
              expect.arrayContaining(['statusCode', 'error', 'message', 'request_id']),
            );
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('every other route answers what the document says', () => {
  it.each([
    ['get', '/models/active', 200],
    ['get', '/monitoring/drift', 200],
    ['get', '/monitoring/fairness', 200],
    ['get', '/monitoring/challengers', 200],
    ['get', '/health/live', 200],
    ['get', '/health/ready', 200],
    ['get', '/admin/models', 200],
    ['post', '/admin/models/reload', 200],
    ['delete', '/admin/models/pin', 200],
    ['post', '/admin/models/20991231T000000Z-0000000/activate', 404],
    ['get', '/admin/models', 401],
  ] as const)('%s %s: %i with the documented schema', async (method, route, status) => {
    const headers: Record<string, string> = status === 401 ? {} : { authorization: `Bearer ${ADMIN_TOKEN}` };
    const answer = await fetch(`${service.url}${route}`, { method: method.toUpperCase(), headers });
    const body = await answer.json();
    expect(answer.status).toBe(status);
    const template = route.replace(/\/admin\/models\/[^/]+\/activate$/, '/admin/models/{version}/activate');
    const schema = json(document.paths[template][method], String(status));
    expect(schema).toBeDefined();
    const matches = validator(schema!);
    expect({ body, valid: matches(body), errors: matches.errors }).toMatchObject({ valid: true });
  });

  it('documents /metrics as Prometheus text, and serves it', async () => {
    expect(Object.keys(document.paths['/metrics'].get.responses['200'].content ?? {})).toEqual(['text/plain']);
    const answer = await fetch(`${service.url}/metrics`);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});

describe.each([
  ['/predict', VALID_BODIES, INVALID_BODIES],
  ['/predict/batch', BATCH_BODIES, BATCH_BODIES],
])('POST %s, against bodies generated from its documented schema', (route, validCount, invalidCount) => {
  const operation = () => document.paths[route].post;

  it(`answers ${validCount} generated valid bodies 200, each matching the documented answer`, async () => {
    const requestSchema = jsonSchema(operation().requestBody.content['application/json'].schema);
    const isRequest = validator(requestSchema);
    const isAnswer = validator(json(operation(), '200')!);
    const failures: unknown[] = [];
    for (let seed = 1; seed <= validCount; seed++) {
      // Batches: a few applications each, so several hundred requests stay quick.
      const body = generateSync(requestSchema as never, { seed, optionalsProbability: 0.5, maxItems: 5 }) as Record<
        string,
        unknown
      >;
      expect(isRequest(body)).toBe(true); // the sampler keeps to the schema
      const answer = await postJson(`${service.url}${route}`, body);
      tried.valid++;
      if (answer.status !== 200 || !isAnswer(answer.json))
        failures.push({ seed, body, status: answer.status, answer: answer.json, errors: isAnswer.errors });
    }
    expect(failures).toEqual([]);
  });

  it(`answers ${invalidCount} bodies with one field pushed outside its schema 400, each matching the documented error`, async () => {
    const requestSchema = jsonSchema(operation().requestBody.content['application/json'].schema);
    const isRequest = validator(requestSchema);
    const isError = validator(json(operation(), '400')!);
    const pick = seeded(12345);
    const failures: unknown[] = [];
    for (let seed = 1; seed <= invalidCount; seed++) {
      const body = generateSync(requestSchema as never, { seed, optionalsProbability: 0.5, maxItems: 5 }) as Record<
        string,
        unknown
      >;
      let broken: Record<string, unknown>;
      let field: string;
      if (route === '/predict/batch' && pick(2) === 0) {
        // Break one field of one application, or the list itself.
        const applications = [...(body.applications as Record<string, unknown>[])];
        const index = pick(applications.length);
        const one = breakOne(applications[index], requestSchema.properties!.applications.items!, pick);
        applications[index] = one.broken;
        broken = { ...body, applications };
        field = `applications.${index}.${one.field}`;
      } else {
        const one = breakOne(body, requestSchema, pick);
        broken = one.broken;
        field = one.field;
      }
      expect(isRequest(broken)).toBe(false); // it really is outside the documented schema
      const answer = await postJson(`${service.url}${route}`, broken);
      tried.invalid++;
      const names =
        field === 'not_in_the_contract' ||
        (answer.json?.message ?? []).some((m: string) => m.includes(field.split('.').pop()!));
      if (answer.status !== 400 || !isError(answer.json) || !names)
        failures.push({ seed, field, broken, status: answer.status, answer: answer.json });
    }
    expect(failures).toEqual([]);
  });
});
