import type * as pulumi from '@pulumi/pulumi';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dependencyNames,
  installPulumiMocks,
  MockResource,
  ProgramOutputs,
  recordOptions,
  resourceQueries,
  runProgram,
  valueOf,
} from '../helpers/pulumi-mocks.js';
import { RESOURCE_TYPES as T, SESSION_MANAGER_ACTIONS, violations } from '../../infra/policy/rules.js';
import { DROPPED_RECORDS_PATTERN, STALE_CHANNEL_PATTERN } from '../../infra/components/logging.js';
import { contextHash, contextPaths } from '../../infra/components/build-context.js';
import { finalDecisionRecord } from '../../service/src/decisions/final-decision.js';
import { APPLICATION_COLUMNS } from '../../jobs/tables/layout.js';
import { SNAPSHOT_TYPES, symlinkKey } from '../../jobs/tables/snapshots.js';
import { CALIBRATION_LIGHT_METRIC, LIGHT_LEVEL } from '../../jobs/backtesting/calibration-metrics.js';
import { loadAppConfig } from '../../service/src/config/app.config.js';
import { EMF_NAMESPACE } from '../../service/src/monitoring/emf-publisher.js';
import aslValidator from 'asl-validator';

/*
 * The Pulumi program under pulumi.runtime.setMocks: every property the stack promises is asserted on the
 * inputs the program gives each resource. Removing a property from infra/ fails the test that names it.
 */
const ALLOWED_CIDR = '198.51.100.0/24';
const resources: MockResource[] = installPulumiMocks({
  'aws:region': 'eu-west-1',
  'loan-default:allowedCidr': ALLOWED_CIDR,
  'loan-default:instanceType': 't3.micro',
  'loan-default:servicePort': '80',
  'loan-default:logRetentionDays': '14',
  'loan-default:alarmEmail': 'oncall@example.com',
  'loan-default:forceDestroyBuckets': 'false',
  'loan-default:keepImages': '7',
});
let program: ProgramOutputs;
/** The instance's options (ignoreChanges, dependsOn), which the mocks never see. */
const options = new Map<string, pulumi.CustomResourceOptions>();

beforeAll(async () => {
  recordOptions('@pulumi/aws/ec2/instance', 'Instance', options);
  recordOptions('@pulumi/aws/s3/bucketObjectv2', 'BucketObjectv2', options);
  program = await runProgram(resources);
});

const { ofType, one } = resourceQueries(resources);
const buckets = () => ofType(T.bucket);
const policyDoc = (r: MockResource) =>
  typeof r.inputs.policy === 'string' ? JSON.parse(r.inputs.policy) : r.inputs.policy;

describe('storage', () => {
  it('has a data bucket and a models bucket, neither force-destroyed unless configured', () => {
    expect(
      buckets()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['loan-default-data', 'loan-default-models']);
    for (const b of buckets()) expect(b.inputs.forceDestroy).toBe(false);
  });

  it('blocks every kind of public access on each bucket', () => {
    const blocks = ofType(T.publicAccessBlock);
    expect(blocks.map((b) => b.inputs.bucket).sort()).toEqual(
      buckets()
        .map((b) => b.state.bucket)
        .sort(),
    );
    for (const b of blocks) {
      expect(b.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
  });

  it('encrypts, versions and owner-enforces each bucket', () => {
    for (const bucket of buckets().map((b) => b.state.bucket)) {
      const sse = ofType(T.encryption).find((r) => r.inputs.bucket === bucket)!;
      expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe('AES256');
      // A bucket key only applies to SSE-KMS; with AES256 the flag promised a saving that never happens.
      expect(sse.inputs.rules[0].bucketKeyEnabled).toBeUndefined();
      const versioning = ofType(T.versioning).find((r) => r.inputs.bucket === bucket)!;
      expect(versioning.inputs.versioningConfiguration.status).toBe('Enabled');
      const ownership = ofType('aws:s3/bucketOwnershipControls:BucketOwnershipControls').find(
        (r) => r.inputs.bucket === bucket,
      )!;
      expect(ownership.inputs.rule.objectOwnership).toBe('BucketOwnerEnforced');
    }
  });

  it('denies any request to a bucket that is not over TLS', () => {
    for (const b of buckets()) {
      const policy = ofType(T.bucketPolicy).find((r) => r.inputs.bucket === b.state.bucket)!;
      const [statement] = policyDoc(policy).Statement;
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(statement.Resource).toEqual([b.state.arn, `${b.state.arn}/*`]);
    }
  });

  it('expires noncurrent versions and moves old prediction records to infrequent access', () => {
    const rules = (bucket: string) =>
      ofType('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').find(
        (r) => r.inputs.bucket === bucket,
      )!.inputs.rules;
    for (const b of buckets()) {
      const expire = rules(b.state.bucket).find((r: any) => r.id === 'expire-noncurrent-versions');
      expect(expire.noncurrentVersionExpiration.noncurrentDays).toBe(90);
      expect(expire.abortIncompleteMultipartUpload.daysAfterInitiation).toBe(7);
    }
    const data = buckets().find((b) => b.name === 'loan-default-data')!;
    const ia = rules(data.state.bucket).find((r: any) => r.id === 'predictions-to-infrequent-access');
    expect(ia.filter.prefix).toBe('predictions/');
    expect(ia.transitions).toEqual([{ days: 30, storageClass: 'STANDARD_IA' }]);
  });

  it('seeds the models bucket with the demo model and policy in the store layout, and never rewrites a channel', () => {
    const objects = ofType('aws:s3/bucketObjectv2:BucketObjectv2');
    const models = buckets().find((b) => b.name === 'loan-default-models')!;
    expect(objects.every((o) => o.inputs.bucket === models.state.bucket)).toBe(true);
    const keys = objects.map((o) => o.inputs.key);
    expect(keys).toContain('loan-default/channels/production.json');
    expect(keys).toContain('loan-default/policy-channels/production.json');
    expect(keys.some((k) => /^loan-default\/policies\/[^/]+\/policy\.json$/.test(k))).toBe(true);
    // A promotion moves a channel after the first deploy; the next deploy must not move it back.
    for (const object of objects) {
      const ignored = options.get(object.name)?.ignoreChanges ?? [];
      expect([object.inputs.key, ignored.includes('source')]).toEqual([
        object.inputs.key,
        /\/(policy-)?channels\//.test(object.inputs.key),
      ]);
    }
    expect(keys.some((k) => /^loan-default\/versions\/[^/]+\/model\.onnx$/.test(k))).toBe(true);
    expect(keys.some((k) => /^loan-default\/versions\/[^/]+\/manifest\.json$/.test(k))).toBe(true);
  });
});

describe('registry', () => {
  const repositories = () => ofType(T.repository);

  it('has one repository per image, each scanning on push, with immutable tags and its own keep-last-N rule', () => {
    // One repository for both images let a rule counting the service's pushes expire the retraining image
    // that the monthly schedule still pins.
    expect(
      repositories()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['loan-default-retraining', 'loan-default-service']);
    const lifecycles = ofType('aws:ecr/lifecyclePolicy:LifecyclePolicy');
    for (const repo of repositories()) {
      expect(repo.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
      expect(repo.inputs.imageTagMutability).toBe('IMMUTABLE');
      const lifecycle = lifecycles.find((l) => l.inputs.repository === repo.state.name)!;
      expect(JSON.parse(lifecycle.inputs.policy).rules[0].selection).toMatchObject({
        countType: 'imageCountMoreThan',
        countNumber: 7,
      });
    }
  });

  it('builds each image for linux/amd64 from a relative context on up (not on preview) and pushes it to its own repository', () => {
    const images = ofType('docker-build:index:Image');
    expect(images.map((i) => i.inputs.dockerfile.location).sort()).toEqual([
      'service/Dockerfile',
      'training/Dockerfile',
    ]);
    for (const image of images) {
      expect(image.inputs.context.location).toBe('.');
      expect(image.inputs.push).toBe(true);
      expect(image.inputs.buildOnPreview).toBe(false);
      expect(image.inputs.platforms).toEqual(['linux/amd64']);
      expect(image.inputs.tags[0]).toMatch(
        /\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/loan-default-(service|retraining):(service|retraining)-[0-9a-f]{16}$/,
      );
      const [, repo, tagPrefix] = /loan-default-(\w+):(\w+)-/.exec(image.inputs.tags[0])!;
      expect(repo).toBe(tagPrefix);
      expect(image.inputs.registries[0]).toMatchObject({ username: 'AWS' });
    }
  });

  it('builds each image from exactly what its Dockerfile copies, and hashes exactly that into its tag', () => {
    // The context's allowlist (<dockerfile>.dockerignore) and the Dockerfile's COPY sources are the same set: a
    // file outside it (Pulumi.dev.yaml, rewritten by `pulumi config set`) can change neither context nor tag.
    for (const dockerfile of ['service/Dockerfile', 'training/Dockerfile']) {
      const copied = new Set(
        readFileSync(dockerfile, 'utf8')
          .split('\n')
          .filter((l) => /^COPY (?!--from)/.test(l))
          .flatMap((l) =>
            l
              .replace(/^COPY\s+/, '')
              .split(/\s+/)
              .slice(0, -1),
          ),
      );
      // (a file copied on its own inside a folder copied whole counts once, as the folder)
      const outermost = [...copied].filter((p) => ![...copied].some((q) => q !== p && p.startsWith(`${q}/`)));
      expect(new Set(contextPaths('.', dockerfile))).toEqual(new Set(outermost));
      expect(contextPaths('.', dockerfile).some((p) => 'Pulumi.dev.yaml' === p || p === '.')).toBe(false);
    }
    const tagOf = (name: string) =>
      ofType('docker-build:index:Image')
        .find((i) => i.name === `loan-default-${name}`)!
        .inputs.tags[0].split(':')
        .pop();
    expect(tagOf('service')).toBe(`service-${contextHash('.', 'service/Dockerfile')}`);
    // An ignore file that does not start by ignoring everything would let the context and the tag drift apart.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'context-'));
    writeFileSync(path.join(dir, 'Dockerfile.dockerignore'), 'node_modules\n!service/src\n');
    expect(() => contextPaths(dir, 'Dockerfile')).toThrow(/must start with '\*'/);
  });
});

describe('compute', () => {
  const statements = () =>
    policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-service')!).Statement as any[];

  it('runs a free-tier Amazon Linux 2023 instance with IMDSv2 only and an encrypted gp3 root volume', () => {
    const instance = one(T.instance);
    expect(instance.inputs.instanceType).toBe('t3.micro');
    expect(instance.inputs.ami).toBe('ami-0123456789abcdef0');
    expect(instance.inputs.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 2 });
    expect(instance.inputs.rootBlockDevice).toMatchObject({ volumeType: 'gp3', encrypted: true });
    expect(instance.inputs.userDataReplaceOnChange).toBe(true);
    expect(instance.inputs.keyName).toBeUndefined();
    // A new AL2023 image in the public parameter must not replace a running instance at the next `pulumi up`.
    expect(options.get('loan-default-instance')?.ignoreChanges).toEqual(['ami']);
    // The instance boots only once its role may pull the image and read the token.
    expect(dependencyNames(options.get('loan-default-instance'))).toContain('loan-default-service');
    // A fixed address, associated separately so that a replaced instance gets the same one.
    const eip = one('aws:ec2/eip:Eip');
    expect(eip.inputs.domain).toBe('vpc');
    expect(one('aws:ec2/eipAssociation:EipAssociation').inputs).toMatchObject({
      instanceId: 'loan-default-instance-id',
      allocationId: eip.state.allocationId,
    });
    // Standard CPU credits: T3's default unlimited mode bills for sustained CPU above the baseline.
    expect(instance.inputs.creditSpecification).toEqual({ cpuCredits: 'standard' });
  });

  it('opens only the service port, only to the configured CIDR, and never SSH', () => {
    const sg = ofType(T.securityGroup).find((g) => g.name === 'loan-default-sg')!;
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({ protocol: 'tcp', fromPort: 80, toPort: 80, cidrBlocks: [ALLOWED_CIDR] }),
    ]);
    const ssh = (sg.inputs.ingress as any[]).filter((r) => r.fromPort <= 22 && r.toPort >= 22);
    expect(ssh).toEqual([]);
    expect(ofType(T.ingressRule)).toEqual([]);
    expect(ofType(T.sgRule)).toEqual([]);
    expect(sg.inputs.egress).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 443, toPort: 443 })]);
  });

  it('grants no wildcard action, and "*" resources only where AWS requires them', () => {
    for (const s of statements()) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/(^\*$|:\*$)/);
      if ([s.Resource].flat().includes('*'))
        expect([['ecr:GetAuthorizationToken'], SESSION_MANAGER_ACTIONS]).toContainEqual(s.Action);
    }
  });

  it('pulls only this repository, reads only the models bucket, writes only predictions/, decisions/ and our logs', () => {
    const by = (sid: string) => statements().find((s) => s.Sid === sid);
    const repo = ofType(T.repository).find((r) => r.name === 'loan-default-service')!;
    expect(by('PullImage').Resource).toEqual([repo.state.arn]);
    const models = buckets().find((b) => b.name === 'loan-default-models')!;
    const data = buckets().find((b) => b.name === 'loan-default-data')!;
    expect(by('ReadModels')).toMatchObject({ Action: ['s3:GetObject'], Resource: [`${models.state.arn}/*`] });
    expect(by('ListModels').Resource).toEqual([models.state.arn]);
    expect(by('WritePredictions')).toMatchObject({
      Action: ['s3:PutObject'],
      Resource: [`${data.state.arn}/predictions/*`],
    });
    // Reviewers' final decisions, beside the prediction log; put only (the once-only write is conditional).
    expect(by('WriteDecisions')).toMatchObject({
      Action: ['s3:PutObject'],
      Resource: [`${data.state.arn}/decisions/*`],
    });
    const serviceLogs = ofType(T.logGroup).find((g) => g.name.endsWith('-service'))!;
    expect(by('WriteLogs').Resource).toEqual([`${serviceLogs.state.arn}:*`]);
    const parameters = ofType('aws:ssm/parameter:Parameter');
    expect(by('ReadSecrets')).toMatchObject({
      Action: ['ssm:GetParameter'],
      Resource: parameters.map((p) => p.state.arn),
    });
    // (Session Manager's CreateControlChannel opens a shell channel; it writes no data.)
    const writes = statements().filter(
      (s) => s.Sid !== 'SessionManager' && [s.Action].flat().some((a: string) => /Put|Delete|Create/.test(a)),
    );
    expect(writes.map((s) => s.Sid).sort()).toEqual(['WriteDecisions', 'WriteLogs', 'WritePredictions']);
  });

  it('uses SSM Session Manager for shell access, and keeps the admin token and the API keys as SecureStrings', () => {
    // Only Session Manager's channel actions, not AmazonSSMManagedInstanceCore (which reads every SSM parameter).
    expect(ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toEqual([]);
    const session = statements().find((st) => st.Sid === 'SessionManager');
    expect(session.Action).toEqual([
      'ssm:UpdateInstanceInformation',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    expect(
      statements()
        .flatMap((st) => [st.Action].flat())
        .filter((a: string) => /^ssm:Get/.test(a)),
    ).toEqual(['ssm:GetParameter']);
    const parameters = ofType('aws:ssm/parameter:Parameter');
    // API keys too, generated when not configured: /predict is never open to all of allowedCidr by default.
    expect(parameters.map((p) => p.name).sort()).toEqual(['loan-default-admin-token', 'loan-default-api-keys']);
    for (const parameter of parameters) {
      expect(parameter.inputs.type).toBe('SecureString');
      // The value reaches AWS as a Pulumi secret (the engine's secret signature wraps it), never in plain state.
      expect(parameter.inputs.value).toEqual({
        '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
        value: 'generated-admin-token-0123456789abcdef',
      });
    }
    const assume = JSON.parse(
      ofType('aws:iam/role:Role').find((r) => r.name === 'loan-default-role')!.inputs.assumeRolePolicy,
    );
    expect(assume.Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
  });

  describe('user data', () => {
    let script: string;
    beforeAll(() => {
      script = one(T.instance).inputs.userData;
    });

    it('installs Docker and logs in to ECR with the instance role', () => {
      expect(script).toMatch(/^#!\/bin\/bash/);
      expect(script).toContain('dnf install -y docker');
      expect(script).toContain(
        'aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin \'123456789012.dkr.ecr.eu-west-1.amazonaws.com\'',
      );
    });

    const unit = () => /<<UNIT\n([\s\S]*?)\nUNIT\n/.exec(script)![1];
    const envScript = () => /<<'SCRIPT'\n([\s\S]*?)\nSCRIPT\n/.exec(script)![1];

    it('runs the image by digest under a systemd unit that restarts it, with the environment contract', () => {
      expect(script).toContain(
        "IMAGE='123456789012.dkr.ecr.eu-west-1.amazonaws.com/loan-default-service@sha256:" + 'ab'.repeat(32) + "'",
      );
      expect(unit()).toMatch(/^Restart=always$/m);
      expect(unit()).toMatch(/^ExecStart=docker run --rm --name loan-default .*-p 80:3000 .* \$IMAGE$/m);
      expect(script).toContain('systemctl enable --now loan-default');
      // The service's shutdown deadline (the same check the service makes at startup) ends before docker kills it.
      const stopTimeoutS = Number(/--stop-timeout (\d+)/.exec(script)![1]);
      const shutdownMs = Number(/SHUTDOWN_TIMEOUT_MS=(\d+)/.exec(script)![1]);
      expect(loadAppConfig({ SHUTDOWN_TIMEOUT_MS: String(shutdownMs) }).shutdownTimeoutMs).toBe(shutdownMs);
      expect(shutdownMs + 2_000).toBeLessThanOrEqual(stopTimeoutS * 1000);
      const models = buckets().find((b) => b.name === 'loan-default-models')!;
      const data = buckets().find((b) => b.name === 'loan-default-data')!;
      for (const line of [
        `MODEL_STORE=s3://${models.state.bucket}`,
        `PREDICTION_LOG=s3://${data.state.bucket}/predictions`,
        'MODEL_NAME=loan-default',
        'MODEL_CHANNEL=production',
        'AWS_REGION=eu-west-1',
        'PORT=3000',
      ]) {
        expect(script).toContain(`echo '${line}'`);
      }
    });

    it('reads ADMIN_TOKEN from the SSM SecureString at every start of the unit into a root-only env file, never inline', () => {
      expect(unit()).toMatch(/^ExecStartPre=\/usr\/local\/bin\/loan-default-env$/m);
      expect(unit()).toContain('--env-file /etc/loan-default.env');
      expect(envScript()).toContain('install -m 600 /dev/null /etc/loan-default.env.new');
      expect(envScript()).toMatch(
        /^ADMIN_TOKEN=\$\(aws ssm get-parameter .*--name '\/loan-default-admin-token' --with-decryption/m,
      );
      expect(envScript()).toContain(`printf 'ADMIN_TOKEN=%s\\n' "$ADMIN_TOKEN"`);
      expect(envScript()).toMatch(
        /^API_KEYS=\$\(aws ssm get-parameter .*--name '\/loan-default-api-keys' --with-decryption/m,
      );
      expect(envScript()).toContain(`printf 'API_KEYS=%s\\n' "$API_KEYS"`);
      expect(script).not.toContain('generated-admin-token');
    });

    it('fails loudly on an empty token, and retries the steps that reach the network', () => {
      expect(envScript()).toMatch(/if \[ -z "\$ADMIN_TOKEN" \] \|\| \[ -z "\$API_KEYS" \]; then\n.*\n {2}exit 1/);
      for (const step of ['retry dnf install -y docker', 'retry ecr_login', 'retry docker pull "$IMAGE"'])
        expect(script).toContain(step);
    });

    it('passes shellcheck, and so does the env script it installs', () => {
      // shellcheck comes from Debian (.ci/run installs it); a missing one fails here rather than skipping.
      for (const text of [script, envScript()]) {
        const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'user-data-')), 'script.sh');
        writeFileSync(file, text);
        const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
        expect(result.error).toBeUndefined();
        expect(result.stdout).toBe('');
        expect(result.status).toBe(0);
      }
    });

    it('keeps the spill directory on the host, owned by the container user, so a restarted container delivers its files', () => {
      expect(script).toContain('install -d -o 1000 -g 1000 -m 700 /var/lib/loan-default/spill');
      expect(unit()).toContain('-v /var/lib/loan-default/spill:/app/var/predictions-spill');
      // The service's default spill directory, under the image's working directory /app.
      expect(path.posix.join('/app', loadAppConfig({}).captureSpillDir)).toBe('/app/var/predictions-spill');
    });

    it('ships logs with the awslogs driver in non-blocking mode to the service log group', () => {
      expect(unit()).toContain('--log-driver awslogs');
      expect(unit()).toContain('--log-opt awslogs-group=/loan-default/dev/service');
      expect(unit()).toContain('--log-opt mode=non-blocking');
      expect(unit()).toContain('--log-opt awslogs-region=$REGION');
    });
  });
});

describe('logging', () => {
  it('keeps service and retraining logs for the configured days', () => {
    const groups = ofType(T.logGroup);
    expect(groups.map((g) => g.inputs.name).sort()).toEqual([
      '/loan-default/dev/retraining',
      '/loan-default/dev/service',
    ]);
    for (const g of groups) expect(g.inputs.retentionInDays).toBe(14);
  });

  it('counts 5xx answers and error lines, and every alarm notifies the topic', () => {
    const filters = ofType('aws:cloudwatch/logMetricFilter:LogMetricFilter');
    expect(filters.map((f) => f.inputs.pattern)).toEqual(
      expect.arrayContaining([
        '{ $.status >= 500 }',
        '{ $.level = "error" }',
        DROPPED_RECORDS_PATTERN,
        STALE_CHANNEL_PATTERN,
      ]),
    );
    const topic = one('aws:sns/topic:Topic');
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key: alarms would never be delivered.
    expect(topic.inputs.kmsMasterKeyId).not.toBe('alias/aws/sns');
    const alarms = ofType(T.alarm);
    const onLogLines = alarms.filter((a) => a.inputs.namespace === 'LoanDefault/loan-default/dev');
    expect(onLogLines.map((a) => a.inputs.metricName).sort()).toEqual(
      filters.map((f) => f.inputs.metricTransformation.name).sort(),
    );
    for (const a of onLogLines) expect(a.inputs.threshold).toBe(1);
    for (const a of alarms) expect(a.inputs.alarmActions).toEqual([topic.state.arn]);
    // Besides those: input drift and production's calibration, read from EMF lines, and failed book scoring runs.
    expect(alarms.length).toBe(onLogLines.length + 3);
    const email = one('aws:sns/topicSubscription:TopicSubscription');
    expect(email.inputs).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.com', topic: topic.state.arn });
  });

  it("alarms on input drift from the metrics every instance writes as EMF lines (any input's PSI above 0.25)", () => {
    const drift = one(T.alarm, 'input-drift');
    // The namespace and metric the service writes; no dimensions, so the alarm reads every version and instance.
    expect(drift.inputs).toMatchObject({
      namespace: EMF_NAMESPACE,
      metricName: 'drift_psi_max',
      statistic: 'Maximum',
      threshold: 0.25,
      comparisonOperator: 'GreaterThanThreshold',
    });
    expect(drift.inputs.dimensions).toBeUndefined();
    expect(drift.inputs.treatMissingData).toBe('notBreaching');
  });

  it("alarms when the monthly job's backtest lights a grade of production's probabilities red", () => {
    const calibration = one(T.alarm, 'production-calibration');
    // The metric the job writes (its EMF line, without dimensions), and red's level.
    expect(calibration.inputs).toMatchObject({
      namespace: EMF_NAMESPACE,
      metricName: CALIBRATION_LIGHT_METRIC,
      statistic: 'Maximum',
      threshold: LIGHT_LEVEL.red,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      period: 86_400,
      treatMissingData: 'notBreaching',
    });
    expect(calibration.inputs.dimensions).toBeUndefined();
  });
});

describe('retraining', () => {
  const taskPolicy = () =>
    policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-task')!).Statement as any[];

  it('lets ECS and EventBridge Scheduler assume its roles only on behalf of this account', () => {
    for (const [role, service] of [
      ['loan-default-execution', 'ecs-tasks.amazonaws.com'],
      ['loan-default-task', 'ecs-tasks.amazonaws.com'],
      ['loan-default-scheduler', 'scheduler.amazonaws.com'],
    ]) {
      const assume = JSON.parse(ofType('aws:iam/role:Role').find((r) => r.name === role)!.inputs.assumeRolePolicy);
      expect(assume.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: service },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]);
    }
  });

  it('notifies the alarm topic when a run fails or never starts (exit codes other than 0 promoted and 3 rejected)', () => {
    const rule = one('aws:cloudwatch/eventRule:EventRule');
    const pattern = JSON.parse(rule.inputs.eventPattern);
    const cluster = one('aws:ecs/cluster:Cluster');
    expect(pattern).toMatchObject({ source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] });
    expect(pattern.detail.clusterArn).toEqual([cluster.state.arn]);
    expect(pattern.detail.lastStatus).toEqual(['STOPPED']);
    expect(pattern.detail.$or).toEqual([
      { containers: { exitCode: [{ 'anything-but': [0, 3] }] } },
      { stopCode: ['TaskFailedToStart'] },
    ]);
    const topic = one('aws:sns/topic:Topic');
    expect(one('aws:cloudwatch/eventTarget:EventTarget').inputs).toMatchObject({
      rule: rule.state.name,
      arn: topic.state.arn,
    });
    // The topic lets this account's EventBridge rules (and alarms) publish, nobody else's.
    const policy = policyDoc(one('aws:sns/topicPolicy:TopicPolicy'));
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      }),
    ]);
  });

  it('runs the retraining image monthly as a Fargate task, logging to the retraining group', () => {
    const schedule = one('aws:scheduler/schedule:Schedule');
    expect(schedule.inputs.scheduleExpression).toBe('cron(0 3 1 * ? *)');
    expect(schedule.inputs.target.ecsParameters).toMatchObject({ launchType: 'FARGATE', taskCount: 1 });
    expect(schedule.inputs.target.ecsParameters.networkConfiguration.subnets).toEqual(['subnet-0aaa', 'subnet-0bbb']);
    const task = one('aws:ecs/taskDefinition:TaskDefinition', 'loan-default-task');
    expect(task.inputs.requiresCompatibilities).toEqual(['FARGATE']);
    const [container] = JSON.parse(task.inputs.containerDefinitions);
    expect(container.image).toMatch(/@sha256:/);
    const models = buckets().find((b) => b.name === 'loan-default-models')!;
    const data = buckets().find((b) => b.name === 'loan-default-data')!;
    expect(container.command).toEqual([
      '--store',
      `s3://${models.state.bucket}`,
      '--data-root',
      `s3://${data.state.bucket}`,
      '--outcomes',
      `s3://${data.state.bucket}/outcomes/latest.csv`,
      '--name',
      'loan-default',
      '--min-auc',
      '0.7',
      '--max-drop',
      '0.01',
      '--stage',
      'production',
    ]);
    expect(container.logConfiguration.options).toMatchObject({
      'awslogs-group': '/loan-default/dev/retraining',
      mode: 'non-blocking',
    });
  });

  it('gives only the retraining task the right to write the tables and snapshots and move the model channel', () => {
    const models = buckets().find((b) => b.name === 'loan-default-models')!;
    const data = buckets().find((b) => b.name === 'loan-default-data')!;
    const by = (sid: string) => taskPolicy().find((s) => s.Sid === sid);
    expect(by('WriteTablesAndReports').Resource).toEqual([
      `${data.state.arn}/applications/*`,
      `${data.state.arn}/snapshots/*`,
      `${data.state.arn}/retraining/*`,
    ]);
    expect(by('PublishAndPromote').Resource).toEqual([
      `${models.state.arn}/loan-default/versions/*`,
      `${models.state.arn}/loan-default/channels/*`,
    ]);
    expect(by('ReadData').Resource).toEqual(
      ['predictions/*', 'applications/*', 'snapshots/*', 'outcomes/*'].map((p) => `${data.state.arn}/${p}`),
    );
    const service = policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-service')!).Statement as any[];
    expect(
      service.some((s) =>
        [s.Resource]
          .flat()
          .some((r: string) => r.startsWith(models.state.arn) && [s.Action].flat().includes('s3:PutObject')),
      ),
    ).toBe(false);
  });

  it('lets the scheduler run only this task definition and pass only its two roles', () => {
    const statements = policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-scheduler')!)
      .Statement as any[];
    const task = one('aws:ecs/taskDefinition:TaskDefinition', 'loan-default-task');
    expect(statements.find((s) => s.Sid === 'RunRetrainingTask').Resource).toEqual([
      `${task.state.arnWithoutRevision}:*`,
    ]);
    expect(statements.find((s) => s.Sid === 'PassTaskRoles').Resource).toHaveLength(2);
    const sg = ofType(T.securityGroup).find((g) => g.name === 'loan-default-task-sg')!;
    expect(sg.inputs.ingress).toEqual([]);
  });
});

describe('analytics', () => {
  const data = () => buckets().find((b) => b.name === 'loan-default-data')!.state.bucket;

  it('catalogs the prediction log, the applications and the outcomes for Athena, partitions projected by name', () => {
    expect(one('aws:glue/catalogDatabase:CatalogDatabase').inputs.name).toBe('loan_default_dev');
    const tables = Object.fromEntries(ofType(T.glueTable).map((t) => [t.inputs.name, t.inputs]));
    expect(Object.keys(tables).sort()).toEqual(['applications', 'decisions', 'outcomes', 'predictions', 'snapshots']);
    expect(tables.predictions.storageDescriptor.location).toBe(`s3://${data()}/predictions/`);
    expect(tables.predictions.partitionKeys).toEqual([{ name: 'dt', type: 'string' }]);
    // New days need no crawler: the partitions are projected from the key names the service writes.
    expect(tables.predictions.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'storage.location.template': `s3://${data()}/predictions/dt=\${dt}/`,
    });
    expect(tables.applications.parameters).toMatchObject({
      'projection.month.format': 'yyyy-MM',
      'storage.location.template': `s3://${data()}/applications/month=\${month}/`,
    });
    expect(tables.applications.storageDescriptor.serDeInfo.serializationLibrary).toMatch(/ParquetHiveSerDe$/);
    // The columns analysts query are the ones compaction writes.
    const columns = tables.applications.storageDescriptor.columns.map((c: { name: string }) => c.name);
    expect(columns).toEqual(APPLICATION_COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0]));
    expect(tables.outcomes.parameters['skip.header.line.count']).toBe('1');
    // The reviewers' final decisions: the fields the service writes, where its role may write them.
    expect(tables.decisions.storageDescriptor.location).toBe(`s3://${data()}/decisions/`);
    const decisionColumns = tables.decisions.storageDescriptor.columns.map((c: { name: string }) => c.name);
    const written = finalDecisionRecord(
      {
        prediction_id: 'p',
        application_id: null,
        answered_at: 0,
        probability_of_default: 0.1,
        threshold: 0.2,
        model_version: 'v',
        policy_version: 'default',
        rules_fired: [],
        state: 'open',
      },
      { final_decision: 'approve', reason_code: 'OK' },
      'alice',
      new Date(0),
    );
    expect(decisionColumns).toEqual(Object.keys(written));
  });

  it('catalogs each snapshot by the symlink manifest the job writes, with the columns of its parts', () => {
    const snapshots = ofType(T.glueTable).find((t) => t.inputs.name === 'snapshots')!.inputs;
    expect(snapshots.partitionKeys).toEqual([{ name: 'snapshot_id', type: 'string' }]);
    expect(snapshots.parameters).toMatchObject({
      'projection.snapshot_id.type': 'injected',
      'storage.location.template': `s3://${data()}/snapshots/\${snapshot_id}/symlink/`,
    });
    expect(snapshots.storageDescriptor.inputFormat).toBe('org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat');
    expect(snapshots.storageDescriptor.serDeInfo.serializationLibrary).toMatch(/ParquetHiveSerDe$/);
    // The job's part columns, in order, with Athena's names for their types.
    const athenaType: Record<string, string> = {
      VARCHAR: 'string',
      DOUBLE: 'double',
      INTEGER: 'int',
      TIMESTAMP: 'timestamp',
    };
    expect(snapshots.storageDescriptor.columns).toEqual(
      Object.entries(SNAPSHOT_TYPES).map(([name, type]) => ({ name, type: athenaType[type] })),
    );
    // Athena looks for the symlink manifest where the job writes it.
    const template = snapshots.parameters['storage.location.template'] as string;
    expect(`${template.replace('${snapshot_id}', 'abc')}manifest`).toBe(`s3://${data()}/${symlinkKey('abc')}`);
  });

  it('runs queries in a workgroup that enforces encrypted results in the private data bucket and caps each scan', () => {
    const workgroup = one(T.athenaWorkgroup).inputs.configuration;
    expect(workgroup).toMatchObject({
      enforceWorkgroupConfiguration: true,
      resultConfiguration: {
        outputLocation: `s3://${data()}/athena-results/`,
        encryptionConfiguration: { encryptionOption: 'SSE_S3' },
      },
    });
    expect(workgroup.bytesScannedCutoffPerQuery).toBe(100 * 2 ** 30);
  });
});

describe('outputs', () => {
  it('exports the URLs, buckets, repository, log groups and instance', async () => {
    // The Elastic IP's name, which survives a replaced instance (the instance's own name would change).
    expect(await valueOf(program.serviceUrl)).toBe('http://ec2-203-0-113-10.eu-west-1.compute.amazonaws.com');
    expect(await valueOf(program.swaggerUrl)).toBe('http://ec2-203-0-113-10.eu-west-1.compute.amazonaws.com/docs');
    expect(await valueOf(program.dataBucketName)).toBe('loan-default-data-bucket');
    expect(await valueOf(program.modelsBucketName)).toBe('loan-default-models-bucket');
    expect(await valueOf(program.repositoryUrl)).toContain('.dkr.ecr.');
    expect(await valueOf(program.serviceLogGroup)).toBe('/loan-default/dev/service');
    expect(await valueOf(program.retrainingLogGroup)).toBe('/loan-default/dev/retraining');
    expect(await valueOf(program.instanceId)).toBe('loan-default-instance-id');
  });
});

it('deploys the same single-instance resources as before the fleet mode existed (snapshot)', () => {
  // What `pulumi up` would create, by type, name and inputs. Image tags and the demo model's version change with
  // every code change or retraining, so they are masked; anything else that moves fails here.
  const mask = (text: string) =>
    text
      .replace(/(service|retraining)-[0-9a-f]{16}/g, '$1-<content-hash>')
      .replace(/\d{8}T\d{6}Z-[0-9a-f]{7}/g, '<demo-version>')
      .replace(/"[^"]*\/models\//g, '"<root>/models/');
  const described = resources.map((r) => mask(`${r.type} ${r.name} ${JSON.stringify(r.inputs)}`)).sort();
  expect(described).toMatchSnapshot();
});

it('complies with every rule of the policy pack', () => {
  expect(violations(resources.map((r) => ({ type: r.type, name: r.name, props: r.state })))).toEqual([]);
});

describe('book scoring', () => {
  const machine = () => one(T.stateMachine);
  const definition = () => JSON.parse(machine().inputs.definition);
  const statesPolicy = () =>
    policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-book-states')!).Statement as any[];

  it('is valid Amazon States Language (asl-validator): a Distributed Map over the book, then the manifest', () => {
    const validation = aslValidator(definition(), { checkPaths: true, checkArn: true });
    expect(validation.errorsText()).toBe('');
    expect(validation.isValid).toBe(true);
    const { StartAt, States } = definition();
    const map = States[StartAt];
    console.log(
      `state machine: ${Object.keys(States).join(' -> ')}; map ${map.ItemProcessor.ProcessorConfig.Mode} over ` +
        `${map.ItemReader.Resource}, MaxConcurrency ${map.MaxConcurrency}, ToleratedFailurePercentage ` +
        `${map.ToleratedFailurePercentage}, retry ${JSON.stringify(map.ItemProcessor.States.ScorePart.Retry)}`,
    );
    expect(Object.keys(States)).toEqual(['ScoreParts', 'WriteManifest']);
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'loan-default-data-bucket' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
      MaxConcurrency: 10,
      ToleratedFailurePercentage: 0,
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' },
      Next: 'WriteManifest',
    });
    const task = map.ItemProcessor.States.ScorePart;
    expect(task).toMatchObject({ Resource: 'arn:aws:states:::ecs:runTask.sync', TimeoutSeconds: 3600 });
    expect(task.Retry[0]).toMatchObject({ MaxAttempts: 2, IntervalSeconds: 30, BackoffRate: 2 });
    expect(task.Parameters.TaskDefinition).toBe(one(T.taskDefinition, 'book-task').state.arn);
    expect(task.Parameters.Overrides.ContainerOverrides[0]['Command.$']).toContain("'--single-part'");
    expect(States.WriteManifest.Parameters.Overrides.ContainerOverrides[0]['Command.$']).toContain("'--finalize'");
    // A definition asl-validator refuses is refused: the check can fail.
    expect(aslValidator({ ...definition(), StartAt: 'Nowhere' }).isValid).toBe(false);
  });

  it('runs the job image with score-book, reading the model from the models bucket', () => {
    const [container] = JSON.parse(one(T.taskDefinition, 'book-task').inputs.containerDefinitions);
    expect(container.entryPoint).toEqual(['/opt/tsx/node_modules/.bin/tsx', 'jobs/score-book.ts']);
    expect(container.image).toContain('loan-default-retraining');
    expect(container.environment).toContainEqual({ name: 'MODEL_STORE', value: 's3://loan-default-models-bucket' });
  });

  it('lets the state machine run only its task definition and pass only its two roles', () => {
    const statements = statesPolicy();
    const run = statements.find((s) => s.Sid === 'RunTheScoringTask');
    expect(run.Resource).toEqual([`${one(T.taskDefinition, 'book-task').state.arnWithoutRevision}:*`]);
    expect(run.Condition.ArnLike['ecs:cluster']).toBe(one('aws:ecs/cluster:Cluster').state.arn);
    const pass = statements.find((s) => s.Sid === 'PassTheTaskRoles');
    expect(pass.Resource.sort()).toEqual(
      ['loan-default-book-execution', 'loan-default-book-task']
        .map((name) => ofType('aws:iam/role:Role').find((r) => r.name === name)!.state.arn)
        .sort(),
    );
    expect(statements.flatMap((s) => s.Resource).some((arn: string) => arn.includes('undefined'))).toBe(false);
  });

  it('lets the task read only book-inputs/ and write only books/', () => {
    const statements = policyDoc(ofType(T.rolePolicy).find((r) => r.name === 'loan-default-book-task')!)
      .Statement as any[];
    const writes = statements.filter((s) => s.Action.includes('s3:PutObject'));
    expect(writes.flatMap((s) => s.Resource)).toEqual(['arn:aws:s3:::loan-default-data-bucket/books/*']);
    const reads = statements.filter((s) => s.Action.includes('s3:GetObject')).flatMap((s) => s.Resource);
    expect(reads.sort()).toEqual(
      [
        'arn:aws:s3:::loan-default-data-bucket/book-inputs/*',
        'arn:aws:s3:::loan-default-data-bucket/books/*',
        'arn:aws:s3:::loan-default-models-bucket/loan-default/*',
      ].sort(),
    );
  });

  it('alarms on a failed execution', () => {
    const alarm = one(T.alarm, 'score-book-failed');
    expect(alarm.inputs).toMatchObject({
      namespace: 'AWS/States',
      metricName: 'ExecutionsFailed',
      dimensions: { StateMachineArn: machine().state.arn },
      alarmActions: [one('aws:sns/topic:Topic').state.arn],
    });
  });
});
