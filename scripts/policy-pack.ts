import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, parseCli, runCli } from './lib/cli.js';

const USAGE =
  'usage: npm run policy:build -- [--check] (compiles infra/policy into dist/policy-pack; --check loads it as Pulumi does)';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const POLICY_PACK_DIR = path.join(ROOT, 'dist/policy-pack');

/**
 * The policy pack as Pulumi can load it: CommonJS JavaScript with its own package.json and PulumiPolicy.yaml.
 * Pulumi runs a Node pack through @pulumi/pulumi's run-policy-pack script, which require()s the pack and
 * ignores `nodeargs`, so the ESM TypeScript sources in infra/policy cannot be the pack themselves.
 */
async function build(): Promise<void> {
  const tsc = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'infra/policy/tsconfig.json'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  await mkdir(POLICY_PACK_DIR, { recursive: true });
  // @pulumi/policy wants a version; the pack's dependencies resolve from the repository's node_modules.
  const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  await writeFile(
    path.join(POLICY_PACK_DIR, 'package.json'),
    JSON.stringify(
      { name: 'loan-default-security', version, private: true, type: 'commonjs', main: 'policy/index.js' },
      null,
      2,
    ) + '\n',
  );
  await writeFile(
    path.join(POLICY_PACK_DIR, 'PulumiPolicy.yaml'),
    'description: Security rules of the loan default stack (private encrypted buckets, IMDSv2, no SSH, least-privilege IAM)\nruntime: nodejs\n',
  );
}

/**
 * Loads the pack exactly as `pulumi preview --policy-pack` does (node run-policy-pack/index.js <engine> <pack>):
 * a pack that loads starts its analyzer and prints the port it listens on; one that does not exits with an error.
 */
export function loadAsPulumiDoes(
  packDir = POLICY_PACK_DIR,
  timeoutMs = 20_000,
): Promise<{ loaded: boolean; output: string }> {
  const runner = path.join(ROOT, 'node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, '127.0.0.1:1', '.'], {
      cwd: packDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const finish = (loaded: boolean) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ loaded, output });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^\d+\s*$/m.test(output)) finish(true);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => finish(/^\d+\s*$/m.test(output)));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(USAGE, async () => {
    const { values } = parseCli(USAGE, { check: { type: 'boolean' } });
    await build();
    process.stdout.write(`policy pack written to ${path.relative(ROOT, POLICY_PACK_DIR)}\n`);
    if (!values.check) return EXIT.ok;
    const { loaded, output } = await loadAsPulumiDoes();
    if (!loaded) throw new Error(`the policy pack does not load as Pulumi loads it:\n${output}`);
    process.stdout.write('the policy pack loads as Pulumi loads it (its analyzer started)\n');
    return EXIT.ok;
  });
}

export { build as buildPolicyPack };
