import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

/*
 * The repository's own documentation is what a clone has: it cites nothing outside it, its links lead
 * somewhere, the README stays a front door, and every setting the service reads is documented.
 */
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
const pages = ['README.md', ...tracked.filter((f) => /^docs\/.*\.md$/.test(f))];
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchorsOf = (markdown: string) =>
  new Set(
    markdown
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) =>
        l
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      ),
  );

describe('the documentation', () => {
  it('cites no file a clone does not have (the team notes outside the repository)', () => {
    const self = path.relative(ROOT, new URL(import.meta.url).pathname);
    const citing = tracked.filter(
      (file) => file !== self && existsSync(path.join(ROOT, file)) && /DESIGN\.md|\.\.\/shared\b/.test(read(file)),
    );
    expect(citing).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target)) continue;
        const [file, anchor] = target.split('#');
        const resolved = file ? path.posix.join(path.posix.dirname(page), file) : page;
        if (!existsSync(path.join(ROOT, resolved))) broken.push(`${page} -> ${target}`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor))
          broken.push(`${page} -> ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README a front door: short, a start-here table by role, the two quick-start commands', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(160);
    for (const role of ['a client developer', 'a platform engineer', 'a data scientist', 'an operator'])
      expect(readme).toContain(`| ${role} |`);
    expect(readme).toMatch(/^npm ci && npm start/m);
    expect(readme).toMatch(/^bash \.ci\/run/m);
    expect(readme).toContain('GET /monitoring/challengers');
  });

  it('documents every environment variable the service reads', () => {
    const source = read('service/src/config/app.config.ts');
    const names = new Set(
      [...source.matchAll(/\(env, '([A-Z0-9_]+)'/g), ...source.matchAll(/env\.([A-Z0-9_]+)/g)].map((m) => m[1]),
    );
    expect(names.size).toBeGreaterThan(25);
    const documented = read('docs/configuration.md');
    expect([...names].filter((name) => !documented.includes(`\`${name}\``))).toEqual([]);
  });
});
