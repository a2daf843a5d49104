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
  const demo = new FsModelStore(path.join(ROOT, 'models'));
  const version = (await demo.readChannel(NAME, 'production'))!.version;
  const manifest = JSON.parse((await demo.readVersionFile(NAME, version, MANIFEST_FILE)).toString()) as ModelManifest;
  const model = await demo.readVersionFile(NAME, version, MODEL_FILE);
  const application = manifest.canaries[10].inputs;
  const single = JSON.stringify(application);
  const batch = JSON.stringify({ applications: Array.from({ length: 1000 }, (_, i) => manifest.canaries[i % manifest.canaries.length].inputs) });
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'bench-predictions-'));
  // Production settings: request logs, prediction capture, drift, metrics and rate limiting all on
  // (the limit is set above what the bench sends, so its cost is counted but it never refuses).
  const production = {
    NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', PREDICTION_LOG: logDir,
    RATE_LIMIT_PER_MINUTE: '100000000', MODEL_POLL_INTERVAL_S: '30',
    // The heap bounds service/Dockerfile sets.
    NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=8',
  };
  const results: Record<string, unknown> = { started_at: new Date().toISOString(), duration_s: duration, node: process.version, cpus: os.cpus().length };
  const cases: HttpCase[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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

    process.stdout.write('service (production settings, micro-batching on)\n');
    const service = await startProcess(['dist/service/main.js'], production, '/health/ready');
    results.ready_ms = Math.round(service.readyMs);
    process.stdout.write(`  ready ${results.ready_ms} ms after start\n`);
    for (const c of levels) cases.push(await drive('service /predict', `${service.url}/predict`, single, c, duration, 1, service.child.pid));
    cases.push(await drive('service /predict/batch (1,000 rows)', `${service.url}/predict/batch`, batch, 4, duration, 1000, service.child.pid));
    results.rss_mb_after = Math.round(await rssMb(service.child.pid!));
    process.stdout.write(`  RSS after the bench ${results.rss_mb_after} MB\n`);
    await stop(service.child);

    // Micro-batching on and off, both running, driven in turns (ABAB...) so a noisy machine hits both alike;
    // the median of the rounds is kept.
    process.stdout.write('micro-batching on vs off (MICROBATCH_MAX_ROWS=1), alternating rounds\n');
    const batched = await startProcess(['dist/service/main.js'], production, '/health/ready');
    const unbatched = await startProcess(['dist/service/main.js'], { ...production, MICROBATCH_MAX_ROWS: '1' }, '/health/ready');
    const rounds = 3;
    const comparison: Record<string, { on: HttpCase[]; off: HttpCase[] }> = {};
    for (const c of [levels[0], levels[levels.length - 1]]) {
      comparison[c] = { on: [], off: [] };
      for (let round = 0; round < rounds; round++) {
        comparison[c].on.push(await drive('  micro-batching on', `${batched.url}/predict`, single, c, Math.max(2, Math.round(duration / 2))));
        comparison[c].off.push(await drive('  micro-batching off', `${unbatched.url}/predict`, single, c, Math.max(2, Math.round(duration / 2))));
      }
    }
    await stop(batched.child);
    await stop(unbatched.child);
    results.micro_batching = Object.fromEntries(
      Object.entries(comparison).map(([c, { on, off }]) => [
        `connections_${c}`,
        {
          on_requests_per_s: median(on.map((x) => x.requests_per_s)),
          off_requests_per_s: median(off.map((x) => x.requests_per_s)),
          on_mean_ms: median(on.map((x) => x.mean_ms)),
          off_mean_ms: median(off.map((x) => x.mean_ms)),
          on_p99_ms: median(on.map((x) => x.p99_ms)),
          off_p99_ms: median(off.map((x) => x.p99_ms)),
        },
      ]),
    );

    if (baselineEntry) {
      // This build against another one (say, the last commit's), both running, driven in turns at the top
      // connection level; medians of the rounds.
      process.stdout.write(`this build vs the baseline at ${baselineEntry}, alternating rounds\n`);
      const top = levels[levels.length - 1];
      const current = await startProcess(['dist/service/main.js'], production, '/health/ready');
      const baseline = await startProcess([baselineEntry], production, '/health/ready');
      const rounds: { current: HttpCase[]; baseline: HttpCase[] } = { current: [], baseline: [] };
      for (let round = 0; round < 3; round++) {
        rounds.current.push(await drive('  this build /predict', `${current.url}/predict`, single, top, duration, 1, current.child.pid));
        rounds.baseline.push(await drive('  baseline /predict', `${baseline.url}/predict`, single, top, duration, 1, baseline.child.pid));
      }
      await stop(current.child);
      await stop(baseline.child);
      const med = (xs: HttpCase[], key: 'requests_per_s' | 'p99_ms' | 'cpu_us_per_request') => median(xs.map((x) => x[key] ?? 0));
      results.versus_baseline = {
        baseline: baselineEntry,
        connections: top,
        current: { requests_per_s: med(rounds.current, 'requests_per_s'), p99_ms: med(rounds.current, 'p99_ms'), cpu_us_per_request: med(rounds.current, 'cpu_us_per_request') },
        baseline_figures: { requests_per_s: med(rounds.baseline, 'requests_per_s'), p99_ms: med(rounds.baseline, 'p99_ms'), cpu_us_per_request: med(rounds.baseline, 'cpu_us_per_request') },
        rps_ratio: +(med(rounds.current, 'requests_per_s') / med(rounds.baseline, 'requests_per_s')).toFixed(3),
      };
      process.stdout.write(`  versus baseline ${JSON.stringify(results.versus_baseline)}\n`);
    }
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }

  const find = (name: string, c: number) => cases.find((x) => x.name === name && x.connections === c)!;
  const top = levels[levels.length - 1];
  const ceiling = find('bare node:http', top);
  const service64 = find('service /predict', top);
  const batchCase = cases.find((x) => x.name.startsWith('service /predict/batch'))!;
  const raw1000 = (results.raw_onnxruntime as { thousand_rows: { rows_per_s: number } }).thousand_rows;
  type Pair = { on_requests_per_s: number; off_requests_per_s: number; on_mean_ms: number; off_mean_ms: number };
  const mb = (c: number) => (results.micro_batching as Record<string, Pair>)[`connections_${c}`];
  const ratios = {
    predict_vs_bare_http: +(service64.requests_per_s / ceiling.requests_per_s).toFixed(3),
    batch_rows_vs_raw_onnxruntime: +(batchCase.rows_per_s / raw1000.rows_per_s).toFixed(3),
    microbatch_mean_latency_at_1_conn_on_vs_off: +(mb(levels[0]).on_mean_ms / mb(levels[0]).off_mean_ms).toFixed(3),
    microbatch_rps_at_1_conn_on_vs_off: +(mb(levels[0]).on_requests_per_s / mb(levels[0]).off_requests_per_s).toFixed(3),
    microbatch_rps_at_top_conn_on_vs_off: +(mb(top).on_requests_per_s / mb(top).off_requests_per_s).toFixed(3),
  };
  const targets = {
    predict_at_least_half_of_bare_http: ratios.predict_vs_bare_http >= 0.5,
    predict_p99_at_most_10ms: service64.p99_ms <= 10,
    predict_no_errors: service64.errors === 0 && service64.non_2xx === 0,
    batch_at_least_half_of_raw_onnxruntime: ratios.batch_rows_vs_raw_onnxruntime >= 0.5,
    ready_within_1500ms: (results.ready_ms as number) <= 1500,
    rss_at_most_250mb: (results.rss_mb_after as number) <= 250,
  };
  Object.assign(results, { cases, ratios, targets });
  process.stdout.write(`ratios ${JSON.stringify(ratios)}\ntargets ${JSON.stringify(targets)}\n`);
  const out = path.resolve(ROOT, String(values.out));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`results written to ${out}\n`);
});
