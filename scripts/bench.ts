import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { LoanApplication } from '../service/src/contract/loan-application.contract.js';
import { SESSION_OPTIONS } from '../service/src/model/loaded-model.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest } from '../service/src/model/manifest.js';
import { FsModelStore } from '../service/src/model/stores/fs-model-store.js';
import { FeatureEncoder } from '../service/src/preprocessing/feature-encoder.js';
import { integerOption, parseCli, runCli } from './lib/cli.js';

const USAGE =
  'usage: npm run bench -- [--duration 10] [--out var/bench/results.json] [--connections 1,16,64] [--baseline DIR (a checkout or copy with a built dist/, compared in alternating rounds)]';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAME = 'loan-default';

interface HttpCase {
  name: string;
  connections: number;
  requests_per_s: number;
  rows_per_s: number;
  p50_ms: number;
  mean_ms: number;
  p99_ms: number;
  errors: number;
  non_2xx: number;
  /** The server process's own CPU time (user + system) over the measured requests, per request. */
  cpu_us_per_request?: number;
}

interface Started {
  child: ChildProcess;
  url: string;
  readyMs: number;
}

/** Starts a process that prints a JSON `listening` line with its port; waits for readyPath to answer 200. */
async function startProcess(args: string[], env: Record<string, string>, readyPath: string | null): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (line.includes('"listening"')) {
          // From here on the logs are drained unread, so the load generator spends nothing on them.
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          return resolve(JSON.parse(line).port);
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  if (readyPath) {
    while ((await fetch(url + readyPath).then((r) => r.status, () => 0)) !== 200) await new Promise((r) => setTimeout(r, 10));
  }
  return { child, url, readyMs: performance.now() - started };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function drive(name: string, url: string, body: string, connections: number, duration: number, rowsPerRequest = 1, pid?: number): Promise<HttpCase> {
  // A short warm-up (JIT, connection setup) that is not counted.
  await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: 1 });
  const cpuBefore = pid ? await cpuSeconds(pid) : 0;
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration });
  const cpuUsed = pid ? (await cpuSeconds(pid)) - cpuBefore : 0;
  const rps = result.requests.average;
  const row: HttpCase = {
    name,
    connections,
    requests_per_s: Math.round(rps),
    rows_per_s: Math.round(rps * rowsPerRequest),
    p50_ms: result.latency.p50,
    mean_ms: +result.latency.mean.toFixed(3),
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
  };
  if (pid && result.requests.total > 0) row.cpu_us_per_request = +((cpuUsed * 1e6) / result.requests.total).toFixed(1);
  process.stdout.write(`  ${name.padEnd(34)} c=${String(connections).padStart(2)}  ${String(row.requests_per_s).padStart(7)} req/s  ${String(row.rows_per_s).padStart(8)} rows/s  p50 ${row.p50_ms} ms  mean ${row.mean_ms} ms  p99 ${row.p99_ms} ms  cpu ${row.cpu_us_per_request ?? '-'} us/req  errors ${row.errors}  non-2xx ${row.non_2xx}\n`);
  return row;
}

/** Raw onnxruntime-node on the same model and session options: the inference ceiling. */
async function rawInference(model: Buffer, manifest: ModelManifest, rows: LoanApplication[], seconds: number) {
  const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  const encoder = new FeatureEncoder(manifest.feature_spec);
  const tensor = new ort.Tensor('float32', encoder.encode(rows), [rows.length, encoder.width]);
  const feeds = { [encoder.inputName]: tensor };
  for (let i = 0; i < 50; i++) await session.run(feeds);
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await session.run(feeds);
    runs++;
  }
  const elapsed = (performance.now() - started) / 1000;
  await session.release();
  return { rows: rows.length, runs_per_s: Math.round(runs / elapsed), rows_per_s: Math.round((runs * rows.length) / elapsed) };
}

/** The heap flags service/Dockerfile sets (ENV NODE_OPTIONS), so the bench measures what the image runs. */
async function dockerfileNodeOptions(): Promise<string> {
  const match = /NODE_OPTIONS="([^"]*)"/.exec(await readFile(path.join(ROOT, 'service/Dockerfile'), 'utf8'));
  if (!match) throw new Error('service/Dockerfile sets no NODE_OPTIONS');
  return match[1];
}

interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Two or more services running at once, driven in turns (ABAB...) so a noisy machine hits them alike; the
 * median of the rounds is kept for each figure.
 */
async function alternating(variants: Variant[], url: string, body: string, connections: number, seconds: number, rounds = 3) {
  const started = [];
  for (const v of variants) started.push(await startProcess(v.args, v.env, '/health/ready'));
  const samples: HttpCase[][] = variants.map(() => []);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, v] of variants.entries()) {
        samples[i].push(await drive(`  ${v.name}`, `${started[i].url}${url}`, body, connections, seconds, 1, started[i].child.pid));
      }
    }
  } finally {
    for (const s of started) await stop(s.child);
  }
  return Object.fromEntries(
    variants.map((v, i) => [
      v.name,
      {
        requests_per_s: median(samples[i].map((x) => x.requests_per_s)),
        mean_ms: median(samples[i].map((x) => x.mean_ms)),
        p99_ms: median(samples[i].map((x) => x.p99_ms)),
        cpu_us_per_request: median(samples[i].map((x) => x.cpu_us_per_request ?? 0)),
      },
    ]),
  ) as Record<string, { requests_per_s: number; mean_ms: number; p99_ms: number; cpu_us_per_request: number }>;
}

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    duration: { type: 'string', default: '10' },
    out: { type: 'string', default: 'var/bench/results.json' },
    connections: { type: 'string', default: '1,16,64' },
    baseline: { type: 'string' },
  });
  const baselineEntry = values.baseline ? path.resolve(String(values.baseline), 'dist/service/main.js') : null;
  if (baselineEntry) await readFile(baselineEntry).catch(() => Promise.reject(new Error(`--baseline: ${baselineEntry} does not exist (build it first)`)));
  const duration = integerOption(values, 'duration', 1);
  const levels = String(values.connections).split(',').map(Number);
  const top = levels[levels.length - 1];
  const demo = new FsModelStore(path.join(ROOT, 'models'));
  const version = (await demo.readChannel(NAME, 'production'))!.version;
  const manifest = JSON.parse((await demo.readVersionFile(NAME, version, MANIFEST_FILE)).toString()) as ModelManifest;
  const model = await demo.readVersionFile(NAME, version, MODEL_FILE);
  const application = manifest.canaries[10].inputs;
  const single = JSON.stringify(application);
  const batch = JSON.stringify({ applications: Array.from({ length: 1000 }, (_, i) => manifest.canaries[i % manifest.canaries.length].inputs) });
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'bench-predictions-'));
  // Production settings: request logs, prediction capture, drift, metrics and rate limiting all on
  // (the limit is set above what the bench sends, so its cost is counted but it never refuses), and the
  // heap flags of the image.
  const production = {
    NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', PREDICTION_LOG: logDir,
    RATE_LIMIT_PER_MINUTE: '100000000', MODEL_POLL_INTERVAL_S: '30',
    NODE_OPTIONS: await dockerfileNodeOptions(),
  };
  const service = (name: string, env: Record<string, string> = {}): Variant => ({ name, args: ['dist/service/main.js'], env: { ...production, ...env } });
  const results: Record<string, unknown> = {
    started_at: new Date().toISOString(), duration_s: duration, node: process.version, cpus: os.cpus().length, node_options: production.NODE_OPTIONS,
  };
  const cases: HttpCase[] = [];
  const comparisons: Record<string, Awaited<ReturnType<typeof alternating>>> = {};
  try {
    process.stdout.write('inference ceiling (raw onnxruntime-node, same session options)\n');
    const raw1 = await rawInference(model, manifest, [application], 3);
    const raw1000 = await rawInference(model, manifest, Array.from({ length: 1000 }, (_, i) => manifest.canaries[i % 50].inputs), 3);
    process.stdout.write(`  1 row: ${raw1.runs_per_s} runs/s; 1,000 rows: ${raw1000.rows_per_s} rows/s\n`);
    results.raw_onnxruntime = { one_row: raw1, thousand_rows: raw1000 };

    process.stdout.write('HTTP ceiling (bare node:http, parse JSON, constant answer)\n');
    const bare = await startProcess(['--import', 'tsx', 'scripts/bench/bare-http-server.ts'], {}, null);
    for (const c of levels) cases.push(await drive('bare node:http', bare.url, single, c, duration, 1, bare.child.pid));
    await stop(bare.child);

    process.stdout.write('service with production settings (capture on): the headline\n');
    const headline = await startProcess(['dist/service/main.js'], production, '/health/ready');
    results.ready_ms = Math.round(headline.readyMs);
    process.stdout.write(`  ready ${results.ready_ms} ms after start\n`);
    for (const c of levels) cases.push(await drive('service /predict', `${headline.url}/predict`, single, c, duration, 1, headline.child.pid));
    cases.push(await drive('service /predict/batch (1,000 rows)', `${headline.url}/predict/batch`, batch, 4, duration, 1000, headline.child.pid));
    results.rss_mb_after = Math.round(await rssMb(headline.child.pid!));
    process.stdout.write(`  RSS after the bench ${results.rss_mb_after} MB\n`);
    await stop(headline.child);

    const halves = Math.max(2, Math.round(duration / 2));
    process.stdout.write('prediction capture on vs off, alternating rounds\n');
    comparisons.capture = await alternating([service('capture on'), service('capture off', { PREDICTION_LOG: 'off' })], '/predict', single, top, halves);
    for (const c of [levels[0], top]) {
      process.stdout.write(`micro-batching on vs off (MICROBATCH_MAX_ROWS=1) at ${c} connections, alternating rounds\n`);
      comparisons[`micro_batching_${c}`] = await alternating([service('micro-batching on'), service('micro-batching off', { MICROBATCH_MAX_ROWS: '1' })], '/predict', single, c, halves);
    }
    if (baselineEntry) {
      process.stdout.write(`this build vs the baseline at ${baselineEntry}, alternating rounds\n`);
      comparisons.baseline = await alternating([service('this build'), { ...service('baseline'), args: [baselineEntry] }], '/predict', single, top, duration);
    }
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }

  const find = (name: string, c: number) => cases.find((x) => x.name === name && x.connections === c)!;
  const ceiling = find('bare node:http', top);
  const service64 = find('service /predict', top);
  const batchCase = cases.find((x) => x.name.startsWith('service /predict/batch'))!;
  const raw1000 = (results.raw_onnxruntime as { thousand_rows: { rows_per_s: number } }).thousand_rows;
  const ratio = (a: number, b: number) => +(a / b).toFixed(3);
  const capture = comparisons.capture;
  const ratios: Record<string, number> = {
    predict_vs_bare_http: ratio(service64.requests_per_s, ceiling.requests_per_s),
    batch_rows_vs_raw_onnxruntime: ratio(batchCase.rows_per_s, raw1000.rows_per_s),
    capture_on_vs_off_rps: ratio(capture['capture on'].requests_per_s, capture['capture off'].requests_per_s),
    microbatch_rps_at_1_conn_on_vs_off: ratio(comparisons[`micro_batching_${levels[0]}`]['micro-batching on'].requests_per_s, comparisons[`micro_batching_${levels[0]}`]['micro-batching off'].requests_per_s),
    microbatch_rps_at_top_conn_on_vs_off: ratio(comparisons[`micro_batching_${top}`]['micro-batching on'].requests_per_s, comparisons[`micro_batching_${top}`]['micro-batching off'].requests_per_s),
  };
  if (comparisons.baseline) ratios.this_build_vs_baseline_rps = ratio(comparisons.baseline['this build'].requests_per_s, comparisons.baseline.baseline.requests_per_s);
  const targets = {
    predict_at_least_045_of_bare_http: ratios.predict_vs_bare_http >= 0.45,
    predict_p99_at_most_8ms: service64.p99_ms <= 8,
    predict_cpu_at_most_55us: (service64.cpu_us_per_request ?? Infinity) <= 55,
    predict_no_errors: service64.errors === 0 && service64.non_2xx === 0,
    capture_on_within_10pct_of_off: ratios.capture_on_vs_off_rps >= 0.9,
    batch_at_least_03_of_raw_onnxruntime: ratios.batch_rows_vs_raw_onnxruntime >= 0.3,
    ready_within_1500ms: (results.ready_ms as number) <= 1500,
    rss_at_most_250mb: (results.rss_mb_after as number) <= 250,
  };
  Object.assign(results, { cases, comparisons, ratios, targets });
  process.stdout.write(
    `headline: /predict with production settings at ${top} connections: ${service64.requests_per_s} req/s (${ratios.predict_vs_bare_http} x bare node:http), ` +
      `p99 ${service64.p99_ms} ms, ${service64.cpu_us_per_request} us CPU per request (bare: ${ceiling.cpu_us_per_request})\n`,
  );
  process.stdout.write(`ratios ${JSON.stringify(ratios)}\ntargets ${JSON.stringify(targets)}\n`);
  const out = path.resolve(ROOT, String(values.out));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`results written to ${out}\n`);
});
