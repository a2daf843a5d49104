import { VALID_APPLICATION } from './applications.js';

export interface HostileBody {
  name: string;
  /** Raw bytes or text exactly as sent. */
  body: string | Buffer;
  contentType?: string;
}

const FIELDS = Object.keys(VALID_APPLICATION);
const json = (value: unknown) => JSON.stringify(value);
const withValue = (field: string, raw: string): string => {
  // Splice raw JSON text in for one field, so values JSON.stringify cannot produce (NaN, 1e999) are sent as is.
  const others = FIELDS.filter((f) => f !== field).map(
    (f) => `${json(f)}:${json((VALID_APPLICATION as unknown as Record<string, unknown>)[f])}`,
  );
  return `{${[...others, `${json(field)}:${raw}`].join(',')}}`;
};

/** Generated hostile bodies for /predict: every one must get a 4xx that names the field or the problem. */
export function hostilePredictBodies(): HostileBody[] {
  const bodies: HostileBody[] = [];
  const numeric = ['annual_income', 'debt_to_income_ratio', 'credit_score', 'loan_amount', 'interest_rate'];
  const enums: Record<string, string[]> = {
    gender: ['female', 'FEMALE', ' Female', 'Female ', 'Femme', ''],
    marital_status: ['single', 'Married ', 'Partnered', ''],
    education_level: ["bachelor's", 'Bachelors', 'PHD', ''],
    employment_status: ['employed', 'Self employed', 'self-employed', ''],
    loan_purpose: ['debt consolidation', 'Holiday', 'CAR', ''],
  };
  for (const field of numeric) {
    for (const raw of [
      '"123"',
      '"abc"',
      '""',
      'null',
      'true',
      '[]',
      '{}',
      '[1]',
      'NaN',
      'Infinity',
      '-Infinity',
      '1e999',
      '-1e999',
      '-1',
      '1e308',
      '"1e3"',
      '0x10',
      '12,5',
    ]) {
      bodies.push({ name: `${field} = ${raw}`, body: withValue(field, raw) });
    }
  }
  for (const [field, values] of Object.entries(enums)) {
    for (const value of values) bodies.push({ name: `${field} = ${json(value)}`, body: withValue(field, json(value)) });
    for (const raw of ['1', 'null', '["Employed"]', '{"value":"Employed"}', 'false'])
      bodies.push({ name: `${field} = ${raw}`, body: withValue(field, raw) });
  }
  for (const raw of [
    '"A0"',
    '"H1"',
    '"a1"',
    '"A10"',
    '"AA"',
    '" A1"',
    '"A1 "',
    '""',
    '1',
    'null',
    '"A\\u0000"',
    '"Ａ1"',
  ]) {
    bodies.push({ name: `grade_subgrade = ${raw}`, body: withValue('grade_subgrade', raw) });
  }
  // (null is not here: like absence, it means "no application_id".)
  for (const raw of ['""', '123', '[]', '{}', json('x'.repeat(129))])
    bodies.push({ name: `application_id = ${raw}`, body: withValue('application_id', raw) });
  for (const field of FIELDS) {
    const copy: Record<string, unknown> = { ...VALID_APPLICATION };
    delete copy[field];
    bodies.push({ name: `missing ${field}`, body: json(copy) });
  }
  const extras: [string, string][] = [
    ['unknown field', '"favourite_colour":"blue"'],
    ['nested unknown field', '"meta":{"a":{"b":{"c":1}}}'],
    ['__proto__ key', '"__proto__":{"isAdmin":true}'],
    ['constructor key', '"constructor":{"prototype":{"polluted":true}}'],
    ['prototype key', '"prototype":{}'],
    ['empty key', '"":1'],
    ['duplicate key with a bad value', '"credit_score":"abc"'],
  ];
  const base = json(VALID_APPLICATION).slice(0, -1);
  for (const [name, extra] of extras) bodies.push({ name, body: `${base},${extra}}` });
  for (const [name, body] of [
    ['empty body', ''],
    ['whitespace body', '   '],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"hello"'],
    ['true', 'true'],
    ['an empty array', '[]'],
    ['an array of the application', `[${json(VALID_APPLICATION)}]`],
    ['an empty object', '{}'],
    ['truncated JSON', json(VALID_APPLICATION).slice(0, 40)],
    ['trailing comma', `${base},}`],
    ['single quotes', "{'credit_score': 700}"],
    ['comments', `/* hi */ ${json(VALID_APPLICATION)}`],
    ['two objects', `${json(VALID_APPLICATION)}${json(VALID_APPLICATION)}`],
    ['deeply nested arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['deeply nested objects', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)],
    ['deeply nested inside a field', withValue('annual_income', '['.repeat(20_000) + ']'.repeat(20_000))],
    ['a huge number of keys', `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`],
    ['a 5 MB body', `{"annual_income":1,"padding":"${'x'.repeat(5 * 1024 * 1024)}"}`],
  ] as [string, string][]) {
    bodies.push({ name, body });
  }
  bodies.push({
    name: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from('{"gender":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]),
  });
  bodies.push({
    name: 'invalid UTF-8 in a valid application',
    body: Buffer.from(withValue('gender', '"Fem\u00ffale"').replace('ÿ', '\udcff'), 'utf8'),
  });
  bodies.push({ name: 'UTF-16 body', body: Buffer.from(json(VALID_APPLICATION), 'utf16le') });
  bodies.push({ name: 'lone surrogate escape', body: withValue('gender', '"\\ud800"') });
  for (const contentType of [
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'image/png',
    'application/jsonx',
    'text/json',
  ]) {
    bodies.push({ name: `content-type ${contentType}`, body: json(VALID_APPLICATION), contentType });
  }
  return bodies;
}

/** Hostile bodies for /predict/batch. */
export function hostileBatchBodies(): HostileBody[] {
  const bodies: HostileBody[] = [];
  const bad = { ...VALID_APPLICATION, credit_score: 'abc' };
  for (const [name, value] of [
    ['applications missing', {}],
    ['applications null', { applications: null }],
    ['applications a string', { applications: 'x' }],
    ['applications an object', { applications: VALID_APPLICATION }],
    ['applications empty', { applications: [] }],
    ['applications over 1,000', { applications: Array(1001).fill(VALID_APPLICATION) }],
    ['an item null', { applications: [VALID_APPLICATION, null] }],
    ['an item a number', { applications: [1] }],
    ['an item an array', { applications: [[VALID_APPLICATION]] }],
    ['an item with a bad field', { applications: [VALID_APPLICATION, bad] }],
    ['an item with an unknown field', { applications: [{ ...VALID_APPLICATION, x: 1 }] }],
    ['an item with __proto__', { applications: [JSON.parse(`{"__proto__":{"a":1}}`)] }],
    ['an extra top-level field', { applications: [VALID_APPLICATION], extra: true }],
    ['a top-level array', [VALID_APPLICATION]],
  ] as [string, unknown][]) {
    bodies.push({ name, body: JSON.stringify(value) });
  }
  for (const raw of [
    '',
    'null',
    '[]',
    '"x"',
    '{"applications":[',
    '{"applications":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}',
  ]) {
    bodies.push({ name: `raw ${raw.slice(0, 20)}`, body: raw });
  }
  bodies.push({
    name: 'batch text/plain',
    body: JSON.stringify({ applications: [VALID_APPLICATION] }),
    contentType: 'text/plain',
  });
  return bodies;
}
