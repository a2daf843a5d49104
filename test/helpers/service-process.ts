import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_ENTRY, ROOT } from './paths.js';

export interface RunningService {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every JSON log line the process printed so far. */
  logs: Record<string, unknown>[];
  /**
   * Stops the process; resolves its exit code, or the signal that ended it (Nest re-raises SIGTERM after a graceful
   * close).
   */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/**
 * Starts the built service (dist/, made by `npm run build` before the suites) as a real process on a free
 * loopback port and resolves once it listens. Tests talk to it over HTTP like any client.
 */
export async function startService(env: Record<string, string> = {}, waitReady = true): Promise<RunningService> {
  if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing: run npm run build first`);
  const child = spawn(process.execPath, [SERVICE_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      MODEL_POLL_INTERVAL_S: '0',
      PREDICTION_LOG: 'off',
      LOG_LEVEL: 'info',
      // Its own spill directory: files another test left must not be delivered into this one's log.
      CAPTURE_SPILL_DIR: mkdtempSync(path.join(os.tmpdir(), 'service-spill-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`service did not start in 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.message === 'listening') {
            clearTimeout(timer);
            resolve(entry.port as number);
          }
        } catch {
          /* not a JSON line */
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  if (waitReady) await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, 20_000);
  return {
    url,
    port,
    child,
    logs,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
        child.once('exit', (code, signalCode) => resolve(code ?? signalCode));
        child.kill(signal);
      }),
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* leave undefined */
  }
  return { status: response.status, json, text, headers: response.headers };
}
