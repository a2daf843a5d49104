import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/<script> (the command line) the way its npm script does (tsx), from the repository root. */
export const runScript = (script: string, args: string[], env: Record<string, string> = {}) =>
  runTs(path.join('scripts', script), args, env);
/** Runs jobs/<job> (a batch job's entry point) with tsx. */
export const runJob = (job: string, args: string[], env: Record<string, string> = {}) =>
  runTs(path.join('jobs', job), args, env);

function runTs(file: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
