import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCli, runCli, UsageError } from '../scripts/lib/cli.js';
import { createJsonLineLogger } from '../service/src/logging/logger.js';
import { simulateYear } from './simulation/simulate.js';

const USAGE =
  'usage: npm run simulate -- [--months 12] [--shift-at 6] [--shock 1.43] [--per-month 6000] [--train-months 1] [--anchor] [--recalibrate-recent 0] [--recalibrate-holdout] [--search-seconds 0] [--seed 1] [--out FILE] [--keep]';

function wholeNumber(values: Record<string, unknown>, name: string, min: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got '${values[name]}'`);
  return value;
}

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    months: { type: 'string', default: '12' },
    'shift-at': { type: 'string' },
    // 1/0.7 in odds: what the models learnt is about 30% too low afterwards.
    shock: { type: 'string', default: String(1 / 0.7) },
    'per-month': { type: 'string', default: '6000' },
    'train-months': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'var/simulation/year.json' },
    keep: { type: 'boolean' },
    anchor: { type: 'boolean' },
    'recalibrate-recent': { type: 'string', default: '0' },
    'recalibrate-holdout': { type: 'boolean' },
    // Off by default: the year is about calibration, and twelve searches would add minutes to it.
    'search-seconds': { type: 'string', default: '0' },
  });
  const months = wholeNumber(values, 'months', 2);
  const shiftAt = values['shift-at'] === undefined ? undefined : wholeNumber(values, 'shift-at', 1);
  if (shiftAt !== undefined && shiftAt >= months)
    throw new UsageError(`--shift-at must be before --months (${months})`);
  const shock = Number(values.shock);
  if (!(shock > 0)) throw new UsageError(`--shock must be a positive number, got '${values.shock}'`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simulate-'));
  try {
    const rows = await simulateYear({
      dir,
      months,
      shiftAt,
      shock,
      perMonth: wholeNumber(values, 'per-month', 1000),
      trainMonths: wholeNumber(values, 'train-months', 1),
      anchor: Boolean(values.anchor),
      recalibrateRecent: Number(values['recalibrate-recent']),
      recalibrateHoldout: Boolean(values['recalibrate-holdout']),
      searchSeconds: Number(values['search-seconds']),
      seed: wholeNumber(values, 'seed', 0),
      logger: createJsonLineLogger(process.env.LOG_LEVEL ?? 'warn'),
    });
    const out = path.resolve(String(values.out));
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify({ shift_at: shiftAt ?? null, shock, months: rows }, null, 2) + '\n');
    process.stdout.write(
      '| month | shocked | serving | approved | mean PD / true | production light | portfolio light | yellow or red grades | gate |\n',
    );
    process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
    for (const r of rows)
      process.stdout.write(
        `| ${r.month} | ${r.shocked ? 'yes' : ''} | ${r.serving_version.slice(-7)} | ${r.approved} | ` +
          `${r.true_calibration.ratio.toFixed(2)} | ${r.production_light ?? 'n/a'} | ${r.production_portfolio_light ?? 'n/a'} | ` +
          `${r.production_flagged_grades.join(' ')} | ${r.gate} |\n`,
      );
    return 0;
  } finally {
    if (values.keep) process.stdout.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
});
