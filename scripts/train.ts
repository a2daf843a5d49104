import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promote, publishVerified, readArtifactDir } from '../service/src/model/channels.js';
import { createModelStore } from '../service/src/model/stores/create-model-store.js';
import { parseCli, required, runCli, UsageError } from './lib/cli.js';
import { runTraining } from './lib/python.js';

const USAGE =
  'usage: npm run train -- --data FILE --store STORE [--name loan-default] [--promote] [--seed 42] [--cost-ratio 4] [--data-uri URI] [--use-protected] [--no-monotone] [--search-seconds 60]';

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    data: { type: 'string' },
    store: { type: 'string' },
    name: { type: 'string', default: 'loan-default' },
    promote: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    'cost-ratio': { type: 'string', default: '4' },
    'data-uri': { type: 'string' },
    channel: { type: 'string', default: 'production' },
    // Off by default: gender and marital status stay out of the model (ECOA / Regulation B); research use only.
    'use-protected': { type: 'boolean', default: false },
    'no-monotone': { type: 'boolean', default: false },
    // The time budget for choosing hyperparameters by cross-validation (0: training's defaults).
    'search-seconds': { type: 'string', default: '60' },
  });
  const data = path.resolve(required(values, 'data'));
  const store = await createModelStore(required(values, 'store'));
  const name = values.name as string;
  if (!Number.isInteger(Number(values.seed))) throw new UsageError(`--seed must be an integer, got '${values.seed}'`);
  if (!(Number(values['cost-ratio']) > 0)) throw new UsageError(`--cost-ratio must be a positive number`);
  if (!(Number(values['search-seconds']) >= 0)) throw new UsageError(`--search-seconds must be 0 or more`);

  const staging = await mkdtemp(path.join(os.tmpdir(), 'loan-default-train-'));
  try {
    const args = ['train', '--data', data, '--out', staging, '--name', name, '--seed', String(values.seed)];
    args.push('--cost-ratio', String(values['cost-ratio']));
    if (values['data-uri']) args.push('--data-uri', values['data-uri'] as string);
    if (values['use-protected']) args.push('--use-protected');
    if (values['no-monotone']) args.push('--no-monotone');
    args.push('--search-seconds', String(values['search-seconds']));
    await runTraining(args);

    // The serving runtime must reproduce training's probabilities before anything is published.
    const manifest = await publishVerified(store, await readArtifactDir(staging), name);
    const lines = [
      `published ${name} ${manifest.version} to ${store.location}`,
      `  holdout roc_auc ${manifest.metrics.roc_auc.toFixed(4)} (baseline ${Number(manifest.metrics.baseline_roc_auc).toFixed(4)}), ` +
        `log_loss ${Number(manifest.metrics.log_loss).toFixed(4)}, brier ${Number(manifest.metrics.brier).toFixed(4)}, ` +
        `rows ${manifest.metrics.rows}`,
      `  threshold ${manifest.threshold.value} (${manifest.threshold.rule}); ${manifest.canaries.length} canaries reproduced by onnxruntime-node`,
    ];
    if (values.promote) {
      const pointer = await promote(store, name, values.channel as string, manifest.version);
      lines.push(`  promoted: ${values.channel} -> ${pointer.version} (previous ${pointer.previous ?? 'none'})`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(
      JSON.stringify({ version: manifest.version, metrics: manifest.metrics, promoted: Boolean(values.promote) }) +
        '\n',
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
});
