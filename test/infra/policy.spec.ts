import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSettings } from '../../infra/config.js';
import { cappedName } from '../../infra/components/names.js';
import {
  PolicyResource,
  RESOURCE_RULES,
  RESOURCE_TYPES as T,
  STACK_RULES,
  violations,
} from '../../infra/policy/rules.js';
import { renderServiceUserData, shellQuote } from '../../infra/components/user-data.js';

/* Each rule of the policy pack rejects a bad resource and accepts a good one. */
const rule = (name: string) => RESOURCE_RULES.find((r) => r.name === name)!;
const statement = (Action: string[], Resource: unknown, Sid = 's') => ({
  type: T.rolePolicy,
  props: { policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid, Effect: 'Allow', Action, Resource }] }) },
});

/** A state machine of one map over one ECS task state, with the map's and the task's own fields. */
const mapOfOneTask = (map: object, task: object): PolicyResource => ({
  type: T.stateMachine,
  props: {
    definition: JSON.stringify({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ...map,
          ItemProcessor: {
            StartAt: 'T',
            States: { T: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', ...task, End: true } },
          },
          End: true,
        },
      },
    }),
  },
});

const cases: [string, PolicyResource, PolicyResource, RegExp][] = [
  [
    's3-public-access-blocked',
    {
      type: T.publicAccessBlock,
      props: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    {
      type: T.publicAccessBlock,
      props: { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    /blockPublicPolicy must be true/,
  ],
  [
    's3-encrypted',
    { type: T.encryption, props: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }] } },
    { type: T.encryption, props: { rules: [] } },
    /AES256 or aws:kms/,
  ],
  [
    's3-versioned',
    { type: T.versioning, props: { versioningConfiguration: { status: 'Enabled' } } },
    { type: T.versioning, props: { versioningConfiguration: { status: 'Suspended' } } },
    /Enabled/,
  ],
  [
    's3-tls-only',
    {
      type: T.bucketPolicy,
      props: {
        policy: {
          Statement: [{ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        },
      },
    },
    {
      type: T.bucketPolicy,
      props: { policy: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Principal: '*' }] } },
    },
    /aws:SecureTransport/,
  ],
  [
    'ec2-imdsv2-required',
    { type: T.instance, props: { metadataOptions: { httpTokens: 'required' } } },
    { type: T.instance, props: { metadataOptions: { httpTokens: 'optional' } } },
    /httpTokens/,
  ],
  [
    'ec2-root-volume-encrypted',
    { type: T.instance, props: { rootBlockDevice: { encrypted: true } } },
    { type: T.instance, props: { rootBlockDevice: { volumeType: 'gp3' } } },
    /encrypted/,
  ],
  [
    'ec2-free-tier',
    { type: T.instance, props: { instanceType: 't3.micro' } },
    { type: T.instance, props: { instanceType: 'm5.large' } },
    /not in the free tier/,
  ],
  [
    'no-ssh-no-world-ingress',
    {
      type: T.securityGroup,
      props: { ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, cidrBlocks: ['198.51.100.0/24'] }] },
    },
    {
      type: T.securityGroup,
      props: { ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrBlocks: ['198.51.100.0/24'] }] },
    },
    /SSH/,
  ],
  [
    'no-ssh-no-world-ingress',
    { type: T.ingressRule, props: { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '10.0.0.0/8' } },
    { type: T.ingressRule, props: { ipProtocol: 'tcp', fromPort: 80, toPort: 80, cidrIpv4: '0.0.0.0/0' } },
    /open to the world/,
  ],
  [
    'no-ssh-no-world-ingress',
    { type: T.sgRule, props: { type: 'egress', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] } },
    {
      type: T.sgRule,
      props: { type: 'ingress', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['198.51.100.0/24'] },
    },
    /SSH/,
  ],
  [
    'iam-no-broad-managed-policies',
    {
      type: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
      props: { policyArn: 'arn:aws:iam::123456789012:policy/ours' },
    },
    {
      type: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
      props: { policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' },
    },
    /AmazonSSMManagedInstanceCore grants more/,
  ],
  [
    'iam-no-broad-managed-policies',
    { type: 'aws:iam/role:Role', props: { managedPolicyArns: [] } },
    { type: 'aws:iam/role:Role', props: { managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] } },
    /AdministratorAccess/,
  ],
  [
    'ec2-standard-credits',
    { type: T.instance, props: { instanceType: 't3.micro', creditSpecification: { cpuCredits: 'standard' } } },
    { type: T.instance, props: { instanceType: 't3.micro' } },
    /standard/,
  ],
  [
    'iam-least-privilege',
    statement(['s3:GetObject'], ['arn:aws:s3:::b/*']),
    statement(['s3:*'], ['arn:aws:s3:::b/*']),
    /wildcard action s3:\*/,
  ],
  [
    'iam-least-privilege',
    statement(['ecr:GetAuthorizationToken'], '*'),
    statement(['s3:GetObject'], '*'),
    /on Resource "\*"/,
  ],
  [
    'ecr-scan-and-immutable',
    {
      type: T.repository,
      props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: 'IMMUTABLE' },
    },
    { type: T.repository, props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: 'MUTABLE' } },
    /IMMUTABLE/,
  ],
  [
    'ecr-scan-and-immutable',
    {
      type: T.repository,
      props: { imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: 'IMMUTABLE' },
    },
    { type: T.repository, props: { imageTagMutability: 'IMMUTABLE' } },
    /scanOnPush/,
  ],
  [
    'logs-retention',
    { type: T.logGroup, props: { retentionInDays: 14 } },
    { type: T.logGroup, props: {} },
    /retentionInDays/,
  ],
  [
    'alb-hardened',
    { type: T.loadBalancer, props: { dropInvalidHeaderFields: true, accessLogs: { enabled: true, bucket: 'b' } } },
    { type: T.loadBalancer, props: { dropInvalidHeaderFields: true } },
    /accessLogs must be enabled/,
  ],
  [
    'alb-hardened',
    { type: T.loadBalancer, props: { dropInvalidHeaderFields: true, accessLogs: { enabled: true, bucket: 'b' } } },
    { type: T.loadBalancer, props: { accessLogs: { enabled: true, bucket: 'b' } } },
    /dropInvalidHeaderFields/,
  ],
  [
    'alb-tls-policy',
    { type: T.listener, props: { protocol: 'HTTPS', sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' } },
    { type: T.listener, props: { protocol: 'HTTPS', sslPolicy: 'ELBSecurityPolicy-2016-08' } },
    /below 1.2/,
  ],
  [
    'ecs-deploys-roll-back',
    { type: T.ecsService, props: { deploymentCircuitBreaker: { enable: true, rollback: true } } },
    { type: T.ecsService, props: { deploymentCircuitBreaker: { enable: true, rollback: false } } },
    /rollback/,
  ],
  [
    'ecs-containers-hardened',
    {
      type: T.taskDefinition,
      props: {
        containerDefinitions: JSON.stringify([
          {
            name: 's',
            logConfiguration: { logDriver: 'awslogs' },
            environment: [{ name: 'PORT', value: '3000' }],
            secrets: [{ name: 'ADMIN_TOKEN', valueFrom: 'arn' }],
          },
        ]),
      },
    },
    {
      type: T.taskDefinition,
      props: {
        containerDefinitions: JSON.stringify([
          { name: 's', logConfiguration: { logDriver: 'awslogs' }, environment: [{ name: 'ADMIN_TOKEN', value: 'x' }] },
        ]),
      },
    },
    /ADMIN_TOKEN in plain environment/,
  ],
  [
    'ecs-containers-hardened',
    {
      type: T.taskDefinition,
      props: { containerDefinitions: JSON.stringify([{ name: 's', logConfiguration: { logDriver: 'awslogs' } }]) },
    },
    { type: T.taskDefinition, props: { containerDefinitions: JSON.stringify([{ name: 's', privileged: true }]) } },
    /privileged.*|no logConfiguration/,
  ],
  [
    'elasticache-encrypted',
    {
      type: T.replicationGroup,
      props: { atRestEncryptionEnabled: true, transitEncryptionEnabled: true, authToken: 't' },
    },
    { type: T.replicationGroup, props: { atRestEncryptionEnabled: true, transitEncryptionEnabled: false } },
    /transitEncryptionEnabled must be true; authToken must be set/,
  ],
  [
    'waf-rate-limited',
    {
      type: T.webAcl,
      props: {
        rules: [{ action: { block: {} }, statement: { rateBasedStatement: { limit: 100, aggregateKeyType: 'IP' } } }],
      },
    },
    {
      type: T.webAcl,
      props: {
        rules: [{ action: { count: {} }, statement: { rateBasedStatement: { limit: 100, aggregateKeyType: 'IP' } } }],
      },
    },
    /rateBasedStatement per IP/,
  ],
  [
    'alarms-notify',
    { type: T.alarm, props: { alarmActions: ['arn:aws:sns:x'] } },
    { type: T.alarm, props: { alarmActions: [] } },
    /alarmActions/,
  ],
  [
    'iam-run-and-pass-named',
    {
      type: T.rolePolicy,
      props: {
        policy: JSON.stringify({
          Statement: [
            {
              Effect: 'Allow',
              Action: ['ecs:RunTask'],
              Resource: ['arn:aws:ecs:eu-west-1:1:task-definition/score-book:*'],
              Condition: { ArnLike: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:1:cluster/c' } },
            },
            {
              Effect: 'Allow',
              Action: ['iam:PassRole'],
              Resource: ['arn:aws:iam::1:role/task'],
              Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            },
          ],
        }),
      },
    },
    {
      type: T.rolePolicy,
      props: {
        policy: JSON.stringify({
          Statement: [
            {
              Sid: 'run',
              Effect: 'Allow',
              Action: ['ecs:RunTask'],
              Resource: ['arn:aws:ecs:eu-west-1:1:task-definition/*'],
            },
            { Sid: 'pass', Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::1:role/*'] },
          ],
        }),
      },
    },
    new RegExp(
      'statement run runs tasks other than named task definitions; statement run runs tasks on any cluster; ' +
        'statement pass passes roles matched by a wildcard; statement pass passes roles to any service',
    ),
  ],
  [
    'state-machines-bounded',
    mapOfOneTask(
      { MaxConcurrency: 5 },
      {
        Parameters: { TaskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/score-book:3' },
        TimeoutSeconds: 60,
        Retry: [{ ErrorEquals: ['States.ALL'], BackoffRate: 2 }],
      },
    ),
    mapOfOneTask({}, { Parameters: { 'TaskDefinition.$': '$.anything' } }),
    new RegExp(
      'map M has no MaxConcurrency; state T runs a task definition that is not named; ' +
        'state T has no TimeoutSeconds; state T has no retry with a backoff rate',
    ),
  ],
];

it.each(cases)('%s accepts a good resource and rejects a bad one', (name, good, bad, message) => {
  expect(rule(name).check(good)).toEqual([]);
  expect(rule(name).check(bad).join('; ')).toMatch(message);
});

it('the stack rule finds a bucket that lacks any of its guards', () => {
  const guarded = (bucket: string) => [
    { type: T.publicAccessBlock, props: { bucket } },
    { type: T.encryption, props: { bucket } },
    { type: T.versioning, props: { bucket } },
    { type: T.bucketPolicy, props: { bucket } },
  ];
  const [stackRule] = STACK_RULES;
  expect(stackRule.check([{ type: T.bucket, props: { bucket: 'a' } }, ...guarded('a')])).toEqual([]);
  const bare = stackRule.check([{ type: T.bucket, props: { bucket: 'b' } }, ...guarded('a').slice(1)]);
  expect(bare).toEqual([
    'bucket b has no a public access block',
    'bucket b has no default encryption',
    'bucket b has no versioning',
    'bucket b has no a bucket policy',
  ]);
  expect(
    violations([
      {
        type: T.instance,
        name: 'web',
        props: {
          instanceType: 't3.micro',
          creditSpecification: { cpuCredits: 'standard' },
          metadataOptions: {},
          rootBlockDevice: { encrypted: true },
        },
      },
    ]),
  ).toEqual(['ec2-imdsv2-required: web: metadataOptions.httpTokens must be "required"']);
});

it('the stack rule finds an internet-facing load balancer without a web ACL', () => {
  const rule = STACK_RULES.find((r) => r.name === 'alb-behind-waf')!;
  const alb = { type: T.loadBalancer, name: 'alb', props: { arn: 'arn:alb', internal: false } };
  expect(rule.check([alb, { type: T.webAclAssociation, props: { resourceArn: 'arn:alb' } }])).toEqual([]);
  expect(rule.check([alb, { type: T.webAclAssociation, props: { resourceArn: 'arn:other' } }])).toEqual([
    'load balancer alb has no web ACL',
  ]);
});

it('the stack rule finds a state machine without an alarm on its failed executions', () => {
  const rule = STACK_RULES.find((r) => r.name === 'state-machines-alarm-on-failure')!;
  const machine = { type: T.stateMachine, name: 'book', props: { arn: 'arn:sm' } };
  const alarm = (arn: string) => ({
    type: T.alarm,
    props: { metricName: 'ExecutionsFailed', dimensions: { StateMachineArn: arn } },
  });
  expect(rule.check([machine, alarm('arn:sm')])).toEqual([]);
  expect(rule.check([machine, alarm('arn:other')])).toEqual(['state machine book has no alarm on ExecutionsFailed']);
});

const CERT = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;

describe('stack settings', () => {
  const fake = (values: Record<string, string>) =>
    ({
      get: (k: string) => values[k],
      require: (k: string) => {
        if (values[k] === undefined) throw new Error(`Missing required configuration variable '${k}'`);
        return values[k];
      },
      getNumber: (k: string) => (values[k] === undefined ? undefined : Number(values[k])),
      getBoolean: (k: string) => (values[k] === undefined ? undefined : values[k] === 'true'),
    }) as never;

  it.each([
    [{}, /allowedCidr/],
    [{ allowedCidr: '0.0.0.0/0' }, /not be wider than \/8/],
    [{ allowedCidr: '0.0.0.0/1' }, /not be wider than \/8 \(got \/1\)/],
    [{ allowedCidr: '64.0.0.0/7' }, /not be wider than \/8/],
    [{ allowedCidr: '300.1.1.1/24' }, /IPv4 CIDR/],
    [{ allowedCidr: '10.0.0.0/8', logRetentionDays: '10' }, /logRetentionDays must be one of/],
    [{ allowedCidr: '10.0.0.0/8', servicePort: '22' }, /other than 22/],
    [{ allowedCidr: '10.0.0.0/8', deployment: 'cluster' }, /deployment must be single or fleet/],
    [{ allowedCidr: '10.0.0.0/8', minTasks: '1' }, /minTasks must be an integer from 2/],
    [{ allowedCidr: '10.0.0.0/8', minTasks: '4', maxTasks: '3' }, /maxTasks \(3\) must be at least minTasks \(4\)/],
    [
      { allowedCidr: '10.0.0.0/8', taskCpu: '256', taskMemory: '4096' },
      /taskCpu 256 with taskMemory 4096 is not a Fargate size/,
    ],
    [
      { allowedCidr: '10.0.0.0/8', retrainCpu: '512', retrainMemory: '8192' },
      /retrainCpu 512 with retrainMemory 8192 is not a Fargate size/,
    ],
    [{ allowedCidr: '10.0.0.0/8', retrainEphemeralGiB: '20' }, /retrainEphemeralGiB must be an integer from 21 to 200/],
    [{ allowedCidr: '10.0.0.0/8', certificateArn: 'my-cert' }, /certificateArn must be an ACM certificate ARN/],
    [{ allowedCidr: '10.0.0.0/8', wafRequestsPer5Min: '5' }, /wafRequestsPer5Min must be an integer from 10/],
    // S3 refuses a lifecycle transition to STANDARD_IA before 30 days: refused here, not at `pulumi up`.
    [
      { allowedCidr: '10.0.0.0/8', predictionsInfrequentAccessDays: '7' },
      /predictionsInfrequentAccessDays must be a whole number of at least 30/,
    ],
    // An ACM certificate never covers the balancer's own name: HTTPS needs the name it does cover.
    [{ allowedCidr: '10.0.0.0/8', certificateArn: CERT('eu-west-1') }, /certificateArn needs domainName/],
    [{ allowedCidr: '10.0.0.0/8', domainName: 'loans.example.com' }, /need certificateArn/],
    [
      { allowedCidr: '10.0.0.0/8', certificateArn: CERT('eu-west-1'), domainName: 'not a name' },
      /domainName must be a DNS name/,
    ],
    [
      {
        allowedCidr: '10.0.0.0/8',
        certificateArn: CERT('eu-west-1'),
        domainName: 'a.example.com',
        hostedZoneId: 'zone',
      },
      /hostedZoneId must be/,
    ],
    [{ allowedCidr: '10.0.0.0/8', vpcId: 'vpc-0123456789abcdef0' }, /vpcId and subnetIds go together/],
    [{ allowedCidr: '10.0.0.0/8', subnetIds: 'subnet-0aaa1111' }, /vpcId and subnetIds go together/],
    [{ allowedCidr: '10.0.0.0/8', vpcId: 'vpc-0123456789abcdef0', subnetIds: 'sn-1' }, /subnetIds must be subnet ids/],
  ])('refuses %p', (values, message) => {
    expect(() => readSettings(fake(values), 'eu-west-1')).toThrow(message);
  });

  it('sizes the retraining task from config, 1 vCPU, 2 GiB and 21 GiB of disk by default', () => {
    expect(readSettings(fake({ allowedCidr: '10.0.0.0/8' }), 'eu-west-1').retraining.task).toEqual({
      cpu: 1024,
      memory: 2048,
      ephemeralGiB: 21,
    });
    const large = { allowedCidr: '10.0.0.0/8', retrainCpu: '2048', retrainMemory: '8192', retrainEphemeralGiB: '60' };
    expect(readSettings(fake(large), 'eu-west-1').retraining.task).toEqual({
      cpu: 2048,
      memory: 8192,
      ephemeralGiB: 60,
    });
  });

  it('refuses a certificate from another region than the stack (ACM certificates are regional)', () => {
    const values = { allowedCidr: '10.0.0.0/8', certificateArn: CERT('us-east-1'), domainName: 'loans.example.com' };
    expect(() => readSettings(fake(values), 'eu-west-1')).toThrow(
      /certificateArn is in us-east-1, but the stack deploys to eu-west-1/,
    );
    expect(readSettings(fake(values), 'us-east-1').fleet.https).toEqual({
      certificateArn: CERT('us-east-1'),
      domainName: 'loans.example.com',
      hostedZoneId: undefined,
    });
  });
});

describe('names AWS caps at 32 characters', () => {
  it('keeps a short enough name as it is, so existing stacks keep their balancer and target group', () => {
    expect(cappedName('loan-default-fleet', '-tasks')).toBe('loan-default-fleet-tasks');
    expect(cappedName('loan-default-fleet', '-alb')).toBe('loan-default-fleet-alb');
  });

  it("leaves room for Pulumi's 8-character suffix whatever the component's name", () => {
    for (const base of ['loan-default-fleet-x', 'a'.repeat(60), 'loan-default-fleet-production-eu']) {
      for (const suffix of ['-tasks', '-alb']) {
        const physical = `${cappedName(base, suffix)}-abcdefg`;
        expect(physical.length).toBeLessThanOrEqual(32);
        expect(physical).toMatch(/^[a-zA-Z0-9-]+$/);
      }
    }
    expect(cappedName('b'.repeat(40) + '1', '-tasks')).not.toBe(cappedName('b'.repeat(40) + '2', '-tasks'));
  });
});

/** The instance's user data arguments, for tests that render it. */
const USER_DATA = {
  region: 'eu-west-1',
  imageRef: 'r@sha256:1',
  registryHost: 'h',
  servicePort: 80,
  containerPort: 3000,
  modelStore: 's3://models',
  modelName: 'm',
  predictionLog: 'off',
  adminTokenParameter: '/p',
  apiKeysParameter: '/k',
  logGroup: '/g',
  pollIntervalS: 30,
};

it('quotes user-data values so no config value can break out of the script', () => {
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  const script = renderServiceUserData({ ...USER_DATA, modelStore: "s3://b'; rm -rf /" });
  expect(script).toContain(`echo 'MODEL_STORE=s3://b'\\''; rm -rf /'`);
});

it('hands the instance a metrics token and reviewer tokens read from SSM at every start, when set, and passes shellcheck', () => {
  const args = USER_DATA;
  const envScript = (script: string) => /<<'SCRIPT'\n([\s\S]*?)\nSCRIPT\n/.exec(script)![1];
  expect(envScript(renderServiceUserData(args))).not.toMatch(/METRICS_TOKEN|REVIEWER_TOKENS/);
  const withToken = envScript(
    renderServiceUserData({ ...args, metricsTokenParameter: '/metrics-token', reviewerTokensParameter: '/reviewers' }),
  );
  expect(withToken).toContain(
    `printf 'METRICS_TOKEN=%s\\n' "$(aws ssm get-parameter --region 'eu-west-1' --name '/metrics-token' --with-decryption --query Parameter.Value --output text)"`,
  );
  expect(withToken).toContain(
    `printf 'REVIEWER_TOKENS=%s\\n' "$(aws ssm get-parameter --region 'eu-west-1' --name '/reviewers' --with-decryption --query Parameter.Value --output text)"`,
  );
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'env-script-')), 'env.sh');
  writeFileSync(file, withToken);
  const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
  expect([result.error, result.stdout, result.status]).toEqual([undefined, '', 0]);
});

it('refuses an Athena workgroup that lets queries skip encryption or scan without a cap, and a table off S3', () => {
  const athena = rule('athena-results-encrypted');
  const good = {
    enforceWorkgroupConfiguration: true,
    bytesScannedCutoffPerQuery: 1e9,
    resultConfiguration: { outputLocation: 's3://b/r/', encryptionConfiguration: { encryptionOption: 'SSE_S3' } },
  };
  expect(athena.check({ type: T.athenaWorkgroup, props: { configuration: good } })).toEqual([]);
  expect(
    athena.check({
      type: T.athenaWorkgroup,
      props: { configuration: { ...good, enforceWorkgroupConfiguration: false, resultConfiguration: {} } },
    }),
  ).toEqual(['enforceWorkgroupConfiguration must be true', 'query results must be encrypted']);
  const glue = rule('glue-tables-in-s3');
  expect(glue.check({ type: T.glueTable, props: { storageDescriptor: { location: 's3://b/predictions/' } } })).toEqual(
    [],
  );
  expect(glue.check({ type: T.glueTable, props: { storageDescriptor: { location: 'file:///etc' } } })).toEqual([
    'storageDescriptor.location must be an s3:// location',
  ]);
});

it('refuses a symlink table whose partition is not injected: a query would list every snapshot', () => {
  const symlink = rule('glue-symlink-tables-name-their-partition');
  const table = (type: string) => ({
    type: T.glueTable,
    props: {
      partitionKeys: [{ name: 'snapshot_id', type: 'string' }],
      parameters: { 'projection.snapshot_id.type': type },
      storageDescriptor: {
        location: 's3://b/snapshots/',
        inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
      },
    },
  });
  expect(symlink.check(table('injected'))).toEqual([]);
  expect(symlink.check(table('enum'))).toEqual([
    'every partition key of a symlink table must be projected as injected',
  ]);
  // Other tables are not its business.
  expect(symlink.check({ type: T.glueTable, props: { storageDescriptor: { location: 's3://b/x/' } } })).toEqual([]);
});
