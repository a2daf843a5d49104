import { runTraining } from '../../scripts/lib/python.js';
import { RetrainOptions, TIME_COLUMN } from './retrain.js';

/**
 * The candidate's training as the monthly job runs it: Python's `train` over the frame, holding out the most recent
 * 20% by observed_at, with the snapshot and the frame's choice recorded in the manifest; with `recalibrateRecent`,
 * the intercept re-estimated on that most recent share of the training rows (a population that moved is promised
 * its new default rate); with `recalibrateHoldout`, the intercept fitted on every other row of the most recent month
 * and the candidate judged on the others. `searchSeconds` is the budget for choosing hyperparameters (0: defaults;
 * undefined: training's default).
 */
export const pythonTrainer =
  (
    seed: number,
    {
      recalibrateRecent = 0,
      recalibrateHoldout = false,
      searchSeconds,
    }: { recalibrateRecent?: number; recalibrateHoldout?: boolean; searchSeconds?: number } = {},
  ): RetrainOptions['train'] =>
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
      ...(recalibrateRecent > 0 ? ['--recalibrate-recent', String(recalibrateRecent)] : []),
      ...(recalibrateHoldout ? ['--recalibrate-holdout'] : []),
      ...(searchSeconds === undefined ? [] : ['--search-seconds', String(searchSeconds)]),
    ]);
  };
