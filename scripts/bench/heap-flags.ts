import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { alternating, demoModel } from './harness.js';

/*
 * Which heap flags for the image: the service with production settings under each candidate NODE_OPTIONS, all
 * running, driven in alternating rounds at 64 connections; medians of requests/s, CPU per request and p99, and RSS
 * after the rounds. Run
 * by hand (npx tsx scripts/bench/heap-flags.ts) when the service's allocation profile changes; its result chose
 * the flags in service/Dockerfile.
 */
const CANDIDATES = [
  '--max-old-space-size=160 --max-semi-space-size=8',
  '--max-old-space-size=160',
  '--max-old-space-size=160 --max-semi-space-size=16',
  '--max-old-space-size=160 --max-semi-space-size=32',
];
const { manifest } = await demoModel();
const log = await mkdtemp(path.join(os.tmpdir(), 'heap-flags-'));
try {
  const production = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    PREDICTION_LOG: log,
    CAPTURE_SPILL_DIR: `${log}-spill`,
    RATE_LIMIT_PER_MINUTE: '100000000',
  };
  const results = await alternating(
    CANDIDATES.map((flags) => ({
      name: flags,
      args: ['dist/service/main.js'],
      env: { ...production, NODE_OPTIONS: flags },
    })),
    '/predict',
    JSON.stringify(manifest.canaries[10].inputs),
    64,
    5,
  );
  for (const [flags, r] of Object.entries(results)) {
    console.log(
      `${flags.padEnd(52)} ${r.requests_per_s} req/s  cpu ${r.cpu_us_per_request} us/req  p99 ${r.p99_ms} ms  rss ${r.rss_mb_after} MB`,
    );
  }
} finally {
  await rm(log, { recursive: true, force: true }).catch(() => undefined);
}
