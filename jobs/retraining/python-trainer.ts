import { runTraining } from '../../scripts/lib/python.js';
import { RetrainOptions, TIME_COLUMN } from './retrain.js';

/**
 * The candidate's training as the monthly job runs it: Python's `train` over the frame, holding out the most recent
 * 20% by observed_at, with the snapshot and the frame's choice recorded in the manifest.
 */
export const pythonTrainer =
  (seed: number): RetrainOptions['train'] =>
  async (dataFile, outDir, holdoutFile, data) => {
    await runTraining([
      'train',
      '--data',
      dataFile,
      '--out',
      outDir,
      '--seed',
      String(seed),
      '--holdout-by',
      TIME_COLUMN,
      '--holdout-out',
      holdoutFile,
      '--data-uri',
      data.uri,
      '--data-frame',
      JSON.stringify(data.frame),
    ]);
  };
