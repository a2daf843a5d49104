import { parseCli, required, runCli } from '../scripts/lib/cli.js';
import { createModelStore } from '../service/src/model/stores/create-model-store.js';
import { createBlobStore } from '../service/src/storage/create-blob-store.js';
import { compare } from './comparison/compare.js';
import { fraction, GATE_OPTIONS, readInput } from './job-inputs.js';

const USAGE =
  'usage: npm run compare -- --store STORE --data-root DIR|s3://... --outcomes FILE [--min-auc 0.7] [--max-drop 0.01] [--min-air 0.8] [--max-ece 0.02] [--name loan-default]';
/** Exit codes: promote, keep (ran fine, the challenger should not replace the champion), failed. */
const COMPARE_EXIT = { promote: 0, keep: 3 } as const;

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, GATE_OPTIONS);
  const store = await createModelStore(required(values, 'store'));
  const report = await compare({
    dataRoot: await createBlobStore(required(values, 'data-root')),
    outcomes: await readInput(required(values, 'outcomes')),
    minAuc: fraction(values, 'min-auc'),
    maxDrop: fraction(values, 'max-drop'),
    minAir: fraction(values, 'min-air'),
    maxEce: fraction(values, 'max-ece'),
    store,
    name: values.name as string,
  });
  // Both versions must still be in the store: a verdict about a version nobody can promote helps no one.
  const versions = await store.listVersions(values.name as string);
  const missing = [report.champion?.version, report.challenger?.version].filter(
    (v): v is string => Boolean(v) && !versions.includes(v!),
  );
  if (missing.length) throw new Error(`versions ${missing.join(', ')} are not in ${store.location}`);
  process.stdout.write(
    `${report.verdict}: ${report.reasons.join('; ')}\n` +
      JSON.stringify({
        run_id: report.run_id,
        verdict: report.verdict,
        rows: report.rows,
        champion: report.champion?.roc_auc ?? null,
        challenger: report.challenger?.roc_auc ?? null,
      }) +
      '\n',
  );
  return COMPARE_EXIT[report.verdict];
});
