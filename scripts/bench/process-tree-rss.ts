import { spawn, SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident memory of a process (kB), or 0 once it is gone. */
function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A process and every descendant (Linux /proc: each thread's children). */
function tree(pid: number): number[] {
  const out = [pid];
  let tasks: string[];
  try {
    tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return out;
  }
  for (const child of tasks) out.push(...tree(Number(child)));
  return out;
}

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The most memory the process and its descendants (Node, Python) held together, sampled every 50 ms. */
  peakTreeRssMb: number;
}

/**
 * Runs a command and samples the resident memory of its whole process tree: what a task's memory limit sees,
 * the job's Node process and the Python it starts together.
 */
export function runMeasured(command: string, args: string[], options: SpawnOptions): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const sample = () => {
      if (child.pid)
        peakKb = Math.max(
          peakKb,
          tree(child.pid).reduce((sum, pid) => sum + rssKb(pid), 0),
        );
    };
    const timer = setInterval(sample, 50);
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, peakTreeRssMb: Math.round(peakKb / 1024) });
    });
  });
}
