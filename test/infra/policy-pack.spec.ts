import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPolicyPack, loadAsPulumiDoes, POLICY_PACK_DIR } from '../../scripts/policy-pack.js';
import { ROOT } from '../helpers/paths.js';

describe('the policy pack, loaded the way Pulumi loads it (run-policy-pack)', () => {
  it('loads when built as CommonJS JavaScript, and starts its analyzer', async () => {
    await buildPolicyPack();
    const { loaded, output } = await loadAsPulumiDoes(POLICY_PACK_DIR);
    expect(output).not.toMatch(/error/i);
    expect(loaded).toBe(true);
  });

  it('would not load as the ESM TypeScript sources with nodeargs (what the stack used to ship)', async () => {
    await mkdir(path.join(ROOT, 'var'), { recursive: true });
    const dir = await mkdtemp(path.join(ROOT, 'var', 'policy-src-'));
    try {
      await cp(path.join(ROOT, 'infra/policy'), dir, { recursive: true });
      await writeFile(
        path.join(dir, 'PulumiPolicy.yaml'),
        'runtime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: "--import tsx"\n',
      );
      await writeFile(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'p', version: '1.0.0', type: 'module', main: 'index.ts' }),
      );
      expect((await loadAsPulumiDoes(dir)).loaded).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
