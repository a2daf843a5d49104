import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { integerOption, parseCli, runCli } from '../lib/cli.js';
import { benchBook } from './book.js';
import { ROOT } from './harness.js';

const USAGE = 'usage: npm run bench:book -- [--rows 10000000] [--parts 10] [--out var/bench/book.json]';

/** The loan-book benchmark alone (npm run bench runs it too, after the service's). */
runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, {
    rows: { type: 'string', default: '10000000' },
    parts: { type: 'string', default: '10' },
    out: { type: 'string', default: 'var/bench/book.json' },
  });
  const figures = await benchBook(integerOption(values, 'rows', 1), integerOption(values, 'parts', 1));
  const out = path.resolve(ROOT, String(values.out));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(figures, null, 2) + '\n');
  process.stdout.write(`results written to ${out}\n`);
});
