import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../scripts/lib/python.js';
import { readArtifactDir } from '../../service/src/model/channels.js';
import { ModelManifest } from '../../service/src/model/manifest.js';
import { ROOT } from './paths.js';

export interface TrainedFixture {
  version: string;
  manifest: ModelManifest;
  files: Record<string, Buffer>;
}

function trainingCodeHash(): string {
  const hash = createHash('sha256');
  const dir = path.join(ROOT, 'training/loan_default');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.py'))
    .sort())
    hash.update(readFileSync(path.join(dir, file)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Small real models (trained by the Python package on generated data, one per seed), cached per version of
 * the training code so suites that need several versions do not each pay for training.
 */
export async function trainedFixtures(seeds: number[], rows = 4000): Promise<TrainedFixture[]> {
  const root = path.join(os.tmpdir(), `loan-default-fixtures-${trainingCodeHash()}`);
  const out: TrainedFixture[] = [];
  for (const seed of seeds) {
    const dir = path.join(root, `seed-${seed}-rows-${rows}`);
    if (!existsSync(path.join(dir, 'model/manifest.json'))) {
      const work = `${dir}.${process.pid}.tmp`;
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true });
      await runTraining([
        'generate',
        '--rows',
        String(rows),
        '--seed',
        String(seed),
        '--out',
        path.join(work, 'data.csv'),
      ]);
      await runTraining([
        'train',
        '--data',
        path.join(work, 'data.csv'),
        '--out',
        path.join(work, 'model'),
        '--seed',
        String(seed),
        // The defaults, not a time-budgeted search: a fixture is the same model on any machine and under any load.
        '--search-seconds',
        '0',
      ]);
      await rename(work, dir).catch(() => rm(work, { recursive: true, force: true })); // another worker won the race
    }
    const files = await readArtifactDir(path.join(dir, 'model'));
    const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
    out.push({ version: manifest.version, manifest, files });
  }
  return out;
}
