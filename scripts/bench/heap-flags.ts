import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/*
 * Which heap flags for the image: the service with production settings under each candidate NODE_OPTIONS, all
 * running, driven in alternating rounds at 64 connections; median requests/s and CPU per request. Run by hand
 * (npx tsx scripts/bench/heap-flags.ts) when the service's allocation profile changes; the result chose the
 * flags in service/Dockerfile.
 */
const CANDIDATES = [
  '--max-old-space-size=160 --max-semi-space-size=8',
  '--max-old-space-size=160',
  '--max-old-space-size=160 --max-semi-space-size=16',
  '--max-old-space-size=160 --max-semi-space-size=32',
];
const body = JSON.stringify({
  annual_income: 52000, debt_to_income_ratio: 0.18, credit_score: 702, loan_amount: 15000, interest_rate: 11.5, gender: 'Female',
  marital_status: 'Married', education_level: "Bachelor's", employment_status: 'Employed', loan_purpose: 'Debt consolidation', grade_subgrade: 'B3',
});
const cpu = async (pid: number) => {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rss = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const log = await mkdtemp(path.join(os.tmpdir(), 'heap-flags-'));
const services = await Promise.all(
  CANDIDATES.map(
    (flags) =>
      new Promise<{ flags: string; pid: number; url: string; kill: () => void }>((resolve) => {
        const child = spawn(process.execPath, ['dist/service/main.js'], {
          env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'production', PREDICTION_LOG: log, RATE_LIMIT_PER_MINUTE: '100000000', NODE_OPTIONS: flags },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let buffer = '';
        child.stdout!.on('data', (c: Buffer) => {
          buffer += c;
          const m = /"port":(\d+)/.exec(buffer);
          if (m && buffer.includes('"listening"')) {
            child.stdout!.removeAllListeners('data');
            child.stdout!.resume();
            resolve({ flags, pid: child.pid!, url: `http://127.0.0.1:${m[1]}/predict`, kill: () => child.kill('SIGTERM') });
          }
        });
      }),
  ),
);
await new Promise((r) => setTimeout(r, 1500));
const results = new Map<string, { rps: number[]; cpu: number[]; p99: number[]; rss: number[] }>();
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  for (const s of services) {
    await autocannon({ url: s.url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 64, duration: 1 });
    const before = await cpu(s.pid);
    const r = await autocannon({ url: s.url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 64, duration: 5 });
    const used = (await cpu(s.pid)) - before;
    const entry = results.get(s.flags) ?? { rps: [], cpu: [], p99: [], rss: [] };
    entry.rps.push(r.requests.average);
    entry.cpu.push((used * 1e6) / r.requests.total);
    entry.p99.push(r.latency.p99);
    entry.rss.push(await rss(s.pid));
    results.set(s.flags, entry);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [flags, e] of results) {
  console.log(`${flags.padEnd(52)} ${Math.round(median(e.rps))} req/s  cpu ${median(e.cpu).toFixed(1)} us/req  p99 ${median(e.p99)} ms  rss ${Math.round(Math.max(...e.rss))} MB`);
}
for (const s of services) s.kill();
await new Promise((r) => setTimeout(r, 1000));
await rm(log, { recursive: true, force: true }).catch(() => undefined);
