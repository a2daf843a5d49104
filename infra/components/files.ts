import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files below `dir` (paths relative to it, '/'-separated, sorted), leaving out dotfiles, node_modules and caches. */
export function filesUnder(dir: string, relative = ''): string[] {
  const here = path.join(dir, relative);
  if (!statSync(here).isDirectory()) return [relative];
  return readdirSync(here)
    .filter((entry) => !entry.startsWith('.') && entry !== 'node_modules' && entry !== '__pycache__')
    .sort()
    .flatMap((entry) => filesUnder(dir, relative ? `${relative}/${entry}` : entry));
}
