import { MANIFEST_FILE, ModelManifest } from '../../service/src/model/manifest.js';
import { MasterScale, scaleOf } from '../../service/src/model/master-scale.js';
import type { ModelStore } from '../../service/src/model/model-store.js';
import { Backtest, backtest } from './backtest.js';

/** What a backtest reads of a version: its master scale and its AUC at initial validation. */
export type VersionPromise = Pick<ModelManifest, 'master_scale'> & { metrics?: { roc_auc?: number } };

export async function readVersionPromise(store: ModelStore, name: string, version: string): Promise<VersionPromise> {
  return JSON.parse((await store.readVersionFile(name, version, MANIFEST_FILE)).toString('utf8')) as VersionPromise;
}

/**
 * A version's probabilities (p) against outcomes (y = 1: defaulted), on its own master scale (the default one for a
 * version before master scales) and against its AUC at initial validation.
 */
export function backtestVersion(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  version: VersionPromise,
  minGradeCount?: number,
): { test: Backtest; scale: MasterScale; own: boolean } {
  const { scale, own } = scaleOf(version);
  return { test: backtest(y, p, scale, { initialAuc: version.metrics?.roc_auc, minGradeCount }), scale, own };
}
