import { readFile } from 'node:fs/promises';
import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import type { CreditPolicy } from '../service/src/policy/credit-policy.js';
import { policyProblems } from '../service/src/policy/policy-problems.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { withEngine } from './tables/engine.js';
import { replayHtml } from './policy-replay/replay-html.js';
import { replayPolicy } from './policy-replay/replay.js';
import { timeId, writeReport } from './retraining/data-root.js';

const USAGE =
  'usage: npm run policy -- verify FILE | replay --policy FILE --data-root DIR|s3://... [--from DATE] [--to DATE]';
/* Exit codes: 0 done; 1 failed; 2 bad arguments or a policy that fails verification (every problem named). */

/** A policy file, or every problem it has (exit 2). */
async function readPolicy(file: string): Promise<CreditPolicy> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not a JSON policy: ${(error as Error).message}`);
  }
  const problems = await policyProblems(doc);
  if (problems.length > 0) throw new UsageError(`${file} fails verification:\n  ${problems.join('\n  ')}`);
  return doc as CreditPolicy;
}

function dateOption(values: Record<string, unknown>, name: string): Date | undefined {
  if (values[name] === undefined) return undefined;
  const date = new Date(String(values[name]));
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be a date, got '${values[name]}'`);
  return date;
}

runCli(USAGE, async () => {
  const { values, positionals } = parseCli(
    USAGE,
    { policy: { type: 'string' }, 'data-root': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    process.argv.slice(2),
    true,
  );
  const [command, file] = positionals;
  if (command === 'verify') {
    if (!file) throw new UsageError('verify needs the policy FILE');
    await readPolicy(file);
    process.stdout.write(`${file}: verified (schema, fields, cut-offs, segments, every example decided as stated)\n`);
    return 0;
  }
  if (command !== 'replay') throw new UsageError(`unknown command '${command ?? ''}'`);
  const policy = await readPolicy(required(values, 'policy'));
  const root = await createBlobStore(required(values, 'data-root'));
  const period = { from: dateOption(values, 'from'), to: dateOption(values, 'to') };
  const report = await withEngine('policy-replay', (engine) => replayPolicy(root, engine, policy, period));
  const prefix = `policy-replays/${timeId(new Date(), policy.description)}`;
  await writeReport(root, prefix, report, replayHtml(report, policy.description));
  process.stdout.write(JSON.stringify({ report: `${root.location}/${prefix}/report.json`, ...report }) + '\n');
  return 0;
});
