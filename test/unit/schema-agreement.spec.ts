import Ajv from 'ajv';
import { schemaFor } from '../../service/src/common/contract-schema.js';
import { validateAgainstDto } from '../../service/src/common/validation.js';
import { BatchRequestDto } from '../../service/src/predict/dto/batch.dto.js';
import { LoanApplicationDto } from '../../service/src/contract/loan-application.dto.js';
import { BROKEN_RULES, VALID_APPLICATION } from '../helpers/applications.js';
import { hostileBatchBodies, hostilePredictBodies } from '../helpers/hostile-bodies.js';

/*
 * The fast path (ajv on the JSON Schema derived from the decorators) must accept exactly what class-validator
 * accepts, or a request could be scored that the rules refuse, or refused without a message.
 */
const ajv = new Ajv.default({
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: false,
  strict: false,
});

function parsed(bodies: { body: string | Buffer; contentType?: string }[]): unknown[] {
  const out: unknown[] = [];
  for (const { body, contentType } of bodies) {
    // Fastify's parser refuses __proto__ and constructor.prototype keys before any validation runs.
    if (contentType || body.length > 100_000 || /__proto__|"prototype"/.test(body.toString())) continue;
    try {
      out.push(JSON.parse(body.toString()));
    } catch {
      /* not JSON: Fastify refuses it before validation */
    }
  }
  return out;
}

function mutations(count: number): unknown[] {
  const values = [
    0,
    -1,
    1,
    0.5,
    299,
    300,
    850,
    851,
    10,
    10.01,
    100,
    100.5,
    1e8,
    1e8 + 1,
    '',
    'A1',
    'G5',
    'Male',
    'Other',
    null,
    true,
    [],
    {},
  ];
  const out: unknown[] = [];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const fields = Object.keys(VALID_APPLICATION);
  for (let i = 0; i < count; i++) {
    const copy: Record<string, unknown> = { ...VALID_APPLICATION };
    for (let k = 0; k < 1 + Math.floor(next() * 3); k++)
      copy[fields[Math.floor(next() * fields.length)]] = values[Math.floor(next() * values.length)];
    out.push(copy);
  }
  return out;
}

it.each([
  [
    'LoanApplicationDto',
    LoanApplicationDto,
    [
      ...parsed(hostilePredictBodies()),
      ...mutations(600),
      VALID_APPLICATION,
      ...BROKEN_RULES.map(([f, v]) => ({ ...VALID_APPLICATION, [f]: v })),
    ],
  ],
  [
    'BatchRequestDto',
    BatchRequestDto,
    [...parsed(hostileBatchBodies()), { applications: [VALID_APPLICATION] }, { applications: mutations(50) }],
  ],
] as const)('%s: the JSON Schema and class-validator agree on every body', async (_name, dto, bodies) => {
  const check = ajv.compile(schemaFor(dto as never));
  let valid = 0;
  for (const body of bodies) {
    const fast = check(body);
    const slow = (await validateAgainstDto(dto as never, body)).length === 0;
    expect({ body, fast }).toEqual({ body, fast: slow });
    if (fast) valid++;
  }
  expect(valid).toBeGreaterThan(0);
  expect(valid).toBeLessThan(bodies.length);
});

it('refuses to derive a schema for a decorator it does not know', async () => {
  const { IsEmail } = await import('class-validator');
  class Odd {
    @IsEmail()
    email!: string;
  }
  expect(() => schemaFor(Odd)).toThrow(/no JSON Schema translation for @isEmail/);
});
