import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { ROOT } from '../helpers/paths.js';
import { RunningService, startService } from '../helpers/service-process.js';

/*
 * A TypeScript client generated from the live /docs-json (@hey-api/openapi-ts, fetch client) is compiled in
 * strict mode and used against the real service: it scores, reads a typed 400, and a misuse of the generated
 * types does not compile.
 */
let service: RunningService;
let dir: string;

beforeAll(async () => {
  service = await startService();
  dir = mkdtempSync(path.join(os.tmpdir(), 'generated-client-'));
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/@hey-api/openapi-ts/bin/run.js'),
      '-i',
      `${service.url}/docs-json`,
      '-o',
      path.join(dir, 'gen'),
    ],
    {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
});

afterAll(async () => {
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  noEmitOnError: true,
  types: [],
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
};

function compile(file: string): string[] {
  const program = ts.createProgram([file], { ...OPTIONS, outDir: path.join(dir, 'out') });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  );
}

describe('a TypeScript client generated from the live OpenAPI document', () => {
  it('compiles in strict mode and scores, batches and reads the error shape against the real service', () => {
    const use = path.join(dir, 'use.ts');
    writeFileSync(
      use,
      `import { createClient } from './gen/client/index.js';
import { predictControllerPredict, predictControllerPredictBatch } from './gen/sdk.gen.js';
import type { ErrorResponseDto, LoanApplicationDto, PredictionDto } from './gen/types.gen.js';

const client = createClient({ baseUrl: process.argv[2] });
const application: LoanApplicationDto = ${JSON.stringify({ ...VALID_APPLICATION, application_id: 'client-1' })};
const ok = await predictControllerPredict({ client, body: application });
const prediction: PredictionDto | undefined = ok.data;
// The decision's three values and the policy's fields are in the types.
const decision: 'approve' | 'refer' | 'decline' | undefined = prediction?.decision;
const policy: string | undefined = prediction?.policy_version;
const rules: ReadonlyArray<string> | undefined = prediction?.rules_fired;
void [decision, policy, rules];
const bad = await predictControllerPredict({ client, body: { ...application, credit_score: 5 } });
const error: ErrorResponseDto | undefined = bad.error;
const batch = await predictControllerPredictBatch({ client, body: { applications: [application, { ...application, application_id: 'client-2' }] } });
console.log(JSON.stringify({ status: ok.response?.status, prediction, badStatus: bad.response?.status, error, batch: batch.data }));
declare const process: { argv: string[] };
`,
    );
    expect(compile(use)).toEqual([]);
    const out = execFileSync(process.execPath, [path.join(dir, 'out/use.js'), service.url], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const result = JSON.parse(out);
    expect(result.status).toBe(200);
    expect(result.prediction).toMatchObject({
      application_id: 'client-1',
      decision: expect.stringMatching(/^(approve|decline)$/),
    });
    expect(result.prediction.probability_of_default).toBeGreaterThanOrEqual(0);
    expect(result.prediction.policy_version).toEqual(expect.any(String));
    expect(result.prediction.rules_fired).toEqual([]);
    expect(result.badStatus).toBe(400);
    expect(result.error).toMatchObject({ statusCode: 400, error: 'Bad Request', request_id: expect.any(String) });
    expect(result.error.message.join(' ')).toContain('credit_score');
    expect(result.batch.predictions.map((p: { application_id: string }) => p.application_id)).toEqual([
      'client-1',
      'client-2',
    ]);
  });

  it('refuses, at compile time, a body the document does not allow', () => {
    const misuse = path.join(dir, 'misuse.ts');
    writeFileSync(
      misuse,
      `import { predictControllerPredict } from './gen/sdk.gen.js';
void predictControllerPredict({ body: { ...${JSON.stringify(VALID_APPLICATION)}, gender: 'Robot' } });
`,
    );
    expect(compile(misuse).join('\n')).toMatch(/Robot/);
  });

  it("types the reviewer's route: a final decision outside approve and decline does not compile", () => {
    const misuse = path.join(dir, 'review-misuse.ts');
    writeFileSync(
      misuse,
      `import { decisionsControllerDecide } from './gen/sdk.gen.js';
void decisionsControllerDecide({ path: { prediction_id: 'x' }, body: { final_decision: 'maybe', reason_code: 'OK' } });
`,
    );
    expect(compile(misuse).join('\n')).toMatch(/maybe/);
  });
});
