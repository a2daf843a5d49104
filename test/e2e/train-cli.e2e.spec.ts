import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScript } from '../helpers/cli.js';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { postJson, startService } from '../helpers/service-process.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'train-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('generates data, trains with --promote into a new store, and the service serves that version', async () => {
  const data = path.join(dir, 'applications.csv');
  const generated = await runScript('data-generate.ts', ['--rows', '8000', '--seed', '5', '--out', data]);
  expect(generated.code).toBe(0);
  // Real exports carry more columns than the contract: add some, in another order.
  const lines = (await readFile(data, 'utf8')).trim().split('\n');
  const withExtras = lines.map((line, i) =>
    i === 0 ? `branch,${line},issued_on` : `north,${line},2026-01-0${(i % 9) + 1}`,
  );
  await writeFile(data, withExtras.join('\n') + '\n');

  const store = path.join(dir, 'store');
  const trained = await runScript('train.ts', ['--data', data, '--store', store, '--promote']);
  expect(trained.stderr).toBe('');
  expect(trained.code).toBe(0);
  const summary = JSON.parse(trained.stdout.trim().split('\n').pop()!);
  expect(summary.promoted).toBe(true);
  expect(summary.metrics.roc_auc).toBeGreaterThan(0.8);
  expect(trained.stdout).toContain('canaries reproduced by onnxruntime-node');

  const version = summary.version as string;
  expect(await readdir(path.join(store, 'loan-default/versions', version))).toEqual([
    'manifest.json',
    'model-card.html',
    'model.onnx',
    'trees.json',
  ]);
  const manifest = JSON.parse(
    await readFile(path.join(store, 'loan-default/versions', version, 'manifest.json'), 'utf8'),
  );
  expect(manifest.training_data.ignored_columns).toEqual(
    expect.arrayContaining(['branch', 'issued_on', 'true_probability_of_default']),
  );
  const card = await readFile(path.join(store, 'loan-default/versions', version, 'model-card.html'), 'utf8');
  expect(card).toMatch(/<img alt="ROC curve" src="data:image\/png;base64,/);
  expect(card).toMatch(/<img alt="Calibration plot" src="data:image\/png;base64,/);

  const listed = await runScript('models.ts', ['list', '--store', store]);
  expect(listed.stdout).toContain(`${version}`);
  expect(listed.stdout).toContain('<- production');

  const service = await startService({ MODEL_STORE: store });
  try {
    const answer = await postJson(`${service.url}/predict`, VALID_APPLICATION);
    expect(answer.status).toBe(200);
    expect(answer.json.model_version).toBe(version);
  } finally {
    await service.stop();
  }
});

it('refuses data that breaks the contract, naming each column, and publishes nothing', async () => {
  const data = path.join(dir, 'bad.csv');
  const header = Object.keys(VALID_APPLICATION).join(',') + ',loan_paid_back';
  const good =
    Object.values(VALID_APPLICATION)
      .map((v) => (String(v).includes("'") ? `"${v}"` : v))
      .join(',') + ',1';
  const bad = good.replace('Female', 'female').replace('702', 'abc').replace(',B3,', ',Z9,');
  await writeFile(data, [header, good, bad, good.replace(/,1$/, ',0')].join('\n') + '\n');
  const store = path.join(dir, 'bad-store');
  const result = await runScript('train.ts', ['--data', data, '--store', store]);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('credit_score');
  expect(result.stderr).toContain('gender');
  expect(result.stderr).toContain('grade_subgrade');
  await expect(readdir(store)).rejects.toThrow(/ENOENT/);
});

it('prints usage on --help and a clear error on bad arguments', async () => {
  for (const script of ['train.ts', 'data-generate.ts', 'models.ts']) {
    const help = await runScript(script, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run /);
  }
  const missing = await runScript('train.ts', ['--store', dir]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('--data is required');
  const rows = await runScript('data-generate.ts', ['--rows', 'ten', '--seed', '1', '--out', 'x.csv']);
  expect(rows.code).toBe(2);
  expect(rows.stderr).toContain("--rows must be an integer >= 1, got 'ten'");
  const unknown = await runScript('models.ts', ['frobnicate']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("unknown command 'frobnicate'");
});
