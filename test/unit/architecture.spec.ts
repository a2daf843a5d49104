import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

/*
 * No import circles in service/src, between files or between its first-level folders, as dependency-cruiser
 * (rules in .dependency-cruiser.cjs) sees the code: type-only imports count.
 */
interface Cruise {
  modules: { source: string; dependencies: { resolved: string; coreModule: boolean; couldNotResolve: boolean }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[] };
}

function cruise(target: string, cwd = ROOT): Cruise {
  const cli = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
  const args = [cli, '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', target];
  // depcruise exits non-zero when it finds violations; its JSON is on stdout either way.
  try {
    return JSON.parse(execFileSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })) as Cruise;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout) as Cruise;
    throw error;
  }
}

/** Strongly connected components of more than one node (Tarjan): each is a circle. */
export function circles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    order.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, order.get(next)!));
    }
    if (low.get(node) === order.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!order.has(node)) visit(node);
  return found;
}

const folderOf = (file: string) => {
  const rest = path.relative('service/src', file).split(path.sep);
  return rest.length > 1 ? rest[0] : '(root)';
};

describe('architecture: no import circles in service/src', () => {
  const result = cruise('service/src');

  it('sees the real graph (resolves .js imports to the .ts sources)', () => {
    expect(result.modules.length).toBeGreaterThan(60);
    const predict = result.modules.find((m) => m.source === 'service/src/predict/predict.service.ts')!;
    expect(predict.dependencies.map((d) => d.resolved)).toContain('service/src/model/model.service.ts');
    const unresolved = result.modules.flatMap((m) =>
      m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.resolved}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has no circle between files, and never reaches into jobs/, scripts/ or infra/', () => {
    const found = result.summary.violations.map(
      (v) => `${v.rule.name}: ${[v.from, ...(v.cycle ?? []).map((c) => c.name)].join(' -> ')} (${v.to})`,
    );
    expect(found).toEqual([]);
  });

  it('serves the retraining job (jobs/) as a library: the job imports the model and storage code, without circles', () => {
    const jobs = cruise('jobs');
    const retrain = jobs.modules.find((m) => m.source === 'jobs/retraining/retrain.ts')!;
    expect(retrain.dependencies.map((d) => d.resolved)).toEqual(
      expect.arrayContaining(['service/src/model/channels.ts', 'service/src/storage/blob-store.ts']),
    );
    expect(jobs.summary.violations).toEqual([]);
  });

  it('has no circle between its first-level folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const module of result.modules) {
      if (!module.source.startsWith('service/src/')) continue;
      const from = folderOf(module.source);
      if (!graph.has(from)) graph.set(from, new Set());
      for (const dependency of module.dependencies) {
        if (dependency.coreModule || !dependency.resolved.startsWith('service/src/')) continue;
        const to = folderOf(dependency.resolved);
        if (to !== from) graph.get(from)!.add(to);
      }
    }
    expect(graph.size).toBeGreaterThan(8);
    expect(circles(graph)).toEqual([]);
  });

  it('would fail on a circle: the same checks find one in files made to have one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-'));
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
      writeFileSync(path.join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
      const made = cruise(dir);
      expect(made.summary.violations.some((v) => v.rule.name === 'no-circular')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(
      circles(
        new Map([
          ['model', new Set(['metrics'])],
          ['metrics', new Set(['model'])],
          ['predict', new Set(['model'])],
        ]),
      ),
    ).toEqual([['metrics', 'model']]);
  });
});
