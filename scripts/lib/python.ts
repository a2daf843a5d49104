import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRAINING_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../training');

let cached: string | undefined;

/**
 * The Python that has the training libraries: $PYTHON if set, else the first of /usr/bin/python3 (Debian's
 * packages) and python3 on PATH (a virtualenv from training/requirements.txt) that imports them.
 */
export function findPython(): string {
  if (cached) return cached;
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import sklearn, pandas, onnx'], { stdio: 'ignore' });
    if (probe.status === 0) return (cached = candidate);
  }
  throw new Error(
    `no Python with scikit-learn, pandas and onnx found (tried ${candidates.join(', ')}); ` +
      'install training/requirements.txt or set PYTHON',
  );
}

/** Runs `python -m loan_default ...`; stderr streams through, stdout is returned (its last line is JSON). */
export function runTraining(args: string[]): Promise<string> {
  const python = findPython();
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'loan_default', ...args], {
      cwd: TRAINING_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`python -m loan_default ${args[0]} failed with exit code ${code}`));
    });
  });
}

export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
