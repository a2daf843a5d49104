import path from 'node:path';
import { integerOption, parseCli, required, runCli } from './lib/cli.js';
import { lastJsonLine, runTraining } from './lib/python.js';

const USAGE = 'usage: npm run data:generate -- --rows N --seed S --out FILE.csv';

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, { rows: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } });
  const rows = integerOption(values, 'rows', 1);
  const seed = integerOption(values, 'seed', 0);
  const out = path.resolve(required(values, 'out'));
  const summary = lastJsonLine<{ rows: number; default_rate: number }>(
    await runTraining(['generate', '--rows', String(rows), '--seed', String(seed), '--out', out]),
  );
  process.stdout.write(
    `wrote ${summary.rows} applications to ${out} (default rate ${summary.default_rate.toFixed(3)})\n`,
  );
});
