import { readFile } from 'node:fs/promises';
import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import { PolicyStore, PolicyVerificationError, verifiedPolicy } from '../service/src/policy/policy-store.js';
import type { BlobStore } from '../service/src/storage/blob-store.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { withEngine } from './tables/engine.js';
import { replayHtml } from './policy-replay/replay-html.js';
import { replayPolicy, ReplayReport } from './policy-replay/replay.js';
import { timeId } from '../service/src/model/time-id.js';
import { writeReport } from './retraining/data-root.js';

const USAGE =
  'usage: npm run policy -- verify FILE | publish FILE --store STORE | ' +
  'replay (--policy FILE | --version V --store STORE) --data-root DIR|s3://... [--from DATE] [--to DATE] | ' +
  'promote VERSION --store STORE --data-root DIR|s3://... [--force]   [--name loan-default] [--channel production]';
/* Exit codes: 0 done; 1 failed; 2 bad arguments or a policy that fails verification (every problem named); 3 a
   promotion refused for want of a replay over the last 30 days. */
const REFUSED = 3;
const REPLAYS = 'policy-replays/';
const REPLAY_DAYS = 30;

/** A policy file, or every problem it has (exit 2). */
async function readPolicy(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not a JSON policy: ${(error as Error).message}`);
  }
}

/** The work on a policy file (verifying or publishing it), or exit 2 naming every problem the file has. */
async function orUsage<T>(file: string, work: (doc: unknown) => Promise<T>): Promise<T> {
  const doc = await readPolicy(file);
  try {
    return await work(doc);
  } catch (error) {
    if (error instanceof PolicyVerificationError)
      throw new UsageError(`${file} fails verification:\n  ${error.problems.join('\n  ')}`);
    throw error;
  }
}

function dateOption(values: Record<string, unknown>, name: string): Date | undefined {
  if (values[name] === undefined) return undefined;
  const date = new Date(String(values[name]));
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be a date, got '${values[name]}'`);
  return date;
}

/** A replay of this version that covers the last 30 days, among the data root's replay reports. */
async function recentReplay(root: BlobStore, version: string, now: Date): Promise<string | null> {
  const since = now.getTime() - REPLAY_DAYS * 86_400_000;
  for (const key of (await root.list(REPLAYS)).filter((k) => k.endsWith('/report.json')).reverse()) {
    const report = JSON.parse((await root.get(key)).toString('utf8')) as ReplayReport & { policy_version?: string };
    const from = report.period.from ? Date.parse(report.period.from) : -Infinity;
    const to = report.period.to ? Date.parse(report.period.to) : Infinity;
    if (report.policy_version === version && from <= since && to >= now.getTime() - 86_400_000) return key;
  }
  return null;
}

runCli(USAGE, async () => {
  const { values, positionals } = parseCli(
    USAGE,
    {
      policy: { type: 'string' },
      version: { type: 'string' },
      store: { type: 'string' },
      'data-root': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      name: { type: 'string', default: 'loan-default' },
      channel: { type: 'string', default: 'production' },
      force: { type: 'boolean' },
    },
    process.argv.slice(2),
    true,
  );
  const [command, argument] = positionals;
  const store = async () => new PolicyStore(await createBlobStore(required(values, 'store')), String(values.name));
  if (command === 'verify') {
    if (!argument) throw new UsageError('verify needs the policy FILE');
    await orUsage(argument, verifiedPolicy);
    process.stdout.write(
      `${argument}: verified (schema, fields, cut-offs, segments, every example decided as stated)\n`,
    );
    return 0;
  }
  if (command === 'publish') {
    if (!argument) throw new UsageError('publish needs the policy FILE');
    const policies = await store();
    const version = await orUsage(argument, (doc) => policies.publish(doc));
    process.stdout.write(JSON.stringify({ published: version, store: policies.location }) + '\n');
    return 0;
  }
  if (command === 'replay') {
    const version = values.version as string | undefined;
    const policy = version
      ? await (await store()).read(version)
      : await orUsage(required(values, 'policy'), verifiedPolicy);
    const root = await createBlobStore(required(values, 'data-root'));
    const period = { from: dateOption(values, 'from'), to: dateOption(values, 'to') };
    const report = {
      policy_version: policy.policy_version ?? null,
      ...(await withEngine('policy-replay', (engine) => replayPolicy(root, engine, policy, period))),
    };
    const prefix = `${REPLAYS}${timeId(new Date(), JSON.stringify(policy))}`;
    await writeReport(root, prefix, report, replayHtml(report, policy.description));
    process.stdout.write(JSON.stringify({ report: `${root.location}/${prefix}/report.json`, ...report }) + '\n');
    return 0;
  }
  if (command === 'promote') {
    if (!argument) throw new UsageError('promote needs the policy VERSION');
    const policies = await store();
    const root = await createBlobStore(required(values, 'data-root'));
    const now = new Date();
    const replay = await recentReplay(root, argument, now);
    if (!replay && !values.force) {
      process.stderr.write(
        `error: no replay of ${argument} over the last ${REPLAY_DAYS} days in ${root.location}/${REPLAYS}: run ` +
          `npm run policy -- replay --version ${argument} --store ... --data-root ... --from ` +
          `${new Date(now.getTime() - REPLAY_DAYS * 86_400_000).toISOString().slice(0, 10)}, or promote with --force\n`,
      );
      return REFUSED;
    }
    const pointer = await policies.promote(String(values.channel), argument, { forced: !replay, now });
    if (!replay)
      process.stdout.write(
        JSON.stringify({
          level: 'warn',
          message: 'policy promoted without a replay',
          version: argument,
          channel: values.channel,
          by: process.env.USER ?? null,
          timestamp: now.toISOString(),
        }) + '\n',
      );
    process.stdout.write(JSON.stringify({ promoted: pointer, replay }) + '\n');
    return 0;
  }
  throw new UsageError(`unknown command '${command ?? ''}'`);
});
