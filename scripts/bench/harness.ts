import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { sessionOptions } from '../../service/src/model/loaded-model.js';
import { MANIFEST_FILE, MODEL_FILE, ModelManifest } from '../../service/src/model/manifest.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';
import { FeatureEncoder } from '../../service/src/preprocessing/feature-encoder.js';

/*
 * What the benchmarks share: starting a server process and stopping it, driving it with autocannon while
 * reading its CPU time from /proc, alternating rounds between live services, and raw onnxruntime-node.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NAME = 'loan-default';

export interface HttpCase {
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
  /** Rounds behind the figures (each figure their median), when more than one. */
  rounds?: number;
}

export interface Started {
  child: ChildProcess;
  url: string;
  readyMs: number;
}

/** Starts a process that prints a JSON `listening` line with its port; waits for readyPath to answer 200. */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  readyPath: string | null,
): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    while (
      (await fetch(url + readyPath).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    )
      await new Promise((r) => setTimeout(r, 10));
  }
  return { child, url, readyMs: performance.now() - started };
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A service's prediction capture counters from its /metrics: records written, spilled to disk and dropped so far. */
export async function captureCounters(url: string): Promise<{ written: number; spilled: number; dropped: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    written: value('prediction_capture_written_total'),
    spilled: value('prediction_capture_spilled_total'),
    dropped: value('prediction_capture_dropped_total'),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One body, or several sent in turn (a mix of applications, as real traffic is). */
export type Bodies = string | string[];

function load(url: string, bodies: Bodies, connections: number, duration: number) {
  const base = { url, method: 'POST' as const, headers: { 'content-type': 'application/json' }, connections, duration };
  if (typeof bodies === 'string') return autocannon({ ...base, body: bodies });
  let next = 0;
  return autocannon({
    ...base,
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
  });
}

export async function drive(
  name: string,
  url: string,
  body: Bodies,
  connections: number,
  duration: number,
  rowsPerRequest = 1,
  pid?: number,
): Promise<HttpCase> {
  // A short warm-up (JIT, connection setup) that is not counted.
  await load(url, body, connections, 1);
  const cpuBefore = pid ? await cpuSeconds(pid) : 0;
  const result = await load(url, body, connections, duration);
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
  process.stdout.write(
    `  ${name.padEnd(34)} c=${String(connections).padStart(2)}  ${String(row.requests_per_s).padStart(7)} req/s  ${String(row.rows_per_s).padStart(8)} rows/s  p50 ${row.p50_ms} ms  mean ${row.mean_ms} ms  p99 ${row.p99_ms} ms  cpu ${row.cpu_us_per_request ?? '-'} us/req  errors ${row.errors}  non-2xx ${row.non_2xx}\n`,
  );
  return row;
}

/** Raw onnxruntime-node on the same model and session options: the inference ceiling. */
export async function rawInference(model: Buffer, manifest: ModelManifest, rows: LoanApplication[], seconds: number) {
  const session = await ort.InferenceSession.create(model, sessionOptions());
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
  return {
    rows: rows.length,
    runs_per_s: Math.round(runs / elapsed),
    rows_per_s: Math.round((runs * rows.length) / elapsed),
  };
}

/** The heap flags service/Dockerfile sets (ENV NODE_OPTIONS), so the bench measures what the image runs. */
export async function dockerfileNodeOptions(): Promise<string> {
  const match = /NODE_OPTIONS="([^"]*)"/.exec(await readFile(path.join(ROOT, 'service/Dockerfile'), 'utf8'));
  if (!match) throw new Error('service/Dockerfile sets no NODE_OPTIONS');
  return match[1];
}

export interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
}
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The unmeasured turn each variant of an alternating comparison gets before its rounds. */
const WARM_UP_S = 3;

/**
 * drive() in `rounds` rounds, each figure the median of the rounds (errors summed): the figures the targets
 * read, where one round could land in a noisy spell of this machine.
 */
export async function driveRounds(rounds: number, ...args: Parameters<typeof drive>): Promise<HttpCase> {
  const samples: HttpCase[] = [];
  for (let round = 0; round < rounds; round++) samples.push(await drive(...args));
  const mid = (pick: (x: HttpCase) => number) => median(samples.map(pick));
  const cpu = samples.every((x) => x.cpu_us_per_request !== undefined) ? mid((x) => x.cpu_us_per_request!) : undefined;
  const row: HttpCase = {
    name: samples[0].name,
    connections: samples[0].connections,
    requests_per_s: mid((x) => x.requests_per_s),
    rows_per_s: mid((x) => x.rows_per_s),
    p50_ms: mid((x) => x.p50_ms),
    mean_ms: mid((x) => x.mean_ms),
    p99_ms: mid((x) => x.p99_ms),
    errors: samples.reduce((n, x) => n + x.errors, 0),
    non_2xx: samples.reduce((n, x) => n + x.non_2xx, 0),
    rounds,
  };
  if (cpu !== undefined) row.cpu_us_per_request = cpu;
  process.stdout.write(
    `    median of ${rounds}: ${row.requests_per_s} req/s, p99 ${row.p99_ms} ms, cpu ${row.cpu_us_per_request ?? '-'} us/req\n`,
  );
  return row;
}

/**
 * Two or more services running at once, driven in turns (ABAB...) so a noisy machine hits them alike; the
 * median of the rounds is kept for each figure.
 */
export async function alternating(
  variants: Variant[],
  url: string,
  body: Bodies,
  connections: number,
  seconds: number,
  rounds = 3,
) {
  const started = [];
  for (const v of variants) started.push(await startProcess(v.args, v.env, '/health/ready'));
  const samples: HttpCase[][] = variants.map(() => []);
  const rss: number[] = [];
  try {
    // One unmeasured turn each first: a service's first seconds under load (JIT tiers, table caches, the GC's
    // sizing) ran up to 40% slower than its later rounds, which a single round in the median could not outvote.
    for (const s of started) await load(`${s.url}${url}`, body, connections, WARM_UP_S);
    for (let round = 0; round < rounds; round++) {
      for (const [i, v] of variants.entries()) {
        samples[i].push(
          await drive(`  ${v.name}`, `${started[i].url}${url}`, body, connections, seconds, 1, started[i].child.pid),
        );
      }
    }
    for (const s of started) rss.push(Math.round(await rssMb(s.child.pid!)));
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
        rss_mb_after: rss[i],
      },
    ]),
  ) as Record<
    string,
    { requests_per_s: number; mean_ms: number; p99_ms: number; cpu_us_per_request: number; rss_mb_after: number }
  >;
}

/** The demo model's manifest and ONNX bytes, from the committed store. */
export async function demoModel(): Promise<{ manifest: ModelManifest; model: Buffer }> {
  const demo = new FsModelStore(path.join(ROOT, 'models'));
  const version = (await demo.readChannel(NAME, 'production'))!.version;
  const manifest = JSON.parse((await demo.readVersionFile(NAME, version, MANIFEST_FILE)).toString()) as ModelManifest;
  return { manifest, model: await demo.readVersionFile(NAME, version, MODEL_FILE) };
}
