import path from 'node:path';
import { runTraining } from '../../scripts/lib/python.js';
import { promote, publishVerified, readArtifactDir } from '../../service/src/model/channels.js';
import { FsModelStore } from '../../service/src/model/stores/fs-model-store.js';

/**
 * A store whose production channel serves a version trained on `rows` synthetic applications (seed `seed`): where
 * a simulated history starts.
 */
export async function startStore(
  dir: string,
  rows: number,
  seed: number,
  name = 'loan-default',
): Promise<FsModelStore> {
  const data = path.join(dir, 'start.csv');
  await runTraining(['generate', '--rows', String(rows), '--seed', String(seed), '--out', data]);
  await runTraining(['train', '--data', data, '--out', path.join(dir, 'start-model')]);
  const store = new FsModelStore(path.join(dir, 'store'));
  const manifest = await publishVerified(store, await readArtifactDir(path.join(dir, 'start-model')));
  await promote(store, name, 'production', manifest.version);
  return store;
}
