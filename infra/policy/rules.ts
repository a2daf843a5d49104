import { FREE_TIER_INSTANCE_TYPES } from '../config.js';

/**
 * The security rules of this stack as plain functions over a resource's type and properties, so the same
 * code runs in the policy pack (infra/policy/index.ts, built into dist/policy-pack and run by `pulumi up --policy-pack
 * dist/policy-pack`)
 * and in the unit tests. A rule returns one message per violation; an empty list means compliant.
 */
export interface PolicyResource {
  type: string;
  name?: string;
  props: Record<string, any>;
}

export interface ResourceRule {
  name: string;
  description: string;
  check(resource: PolicyResource): string[];
}

export interface StackRule {
  name: string;
  description: string;
  check(resources: PolicyResource[]): string[];
}

const T = {
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  instance: 'aws:ec2/instance:Instance',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  ingressRule: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  sgRule: 'aws:ec2/securityGroupRule:SecurityGroupRule',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  rolePolicyAttachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  role: 'aws:iam/role:Role',
  policy: 'aws:iam/policy:Policy',
  repository: 'aws:ecr/repository:Repository',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  loadBalancer: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  ecsService: 'aws:ecs/service:Service',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  replicationGroup: 'aws:elasticache/replicationGroup:ReplicationGroup',
  webAcl: 'aws:wafv2/webAcl:WebAcl',
  webAclAssociation: 'aws:wafv2/webAclAssociation:WebAclAssociation',
  athenaWorkgroup: 'aws:athena/workgroup:Workgroup',
  glueTable: 'aws:glue/catalogTable:CatalogTable',
  stateMachine: 'aws:sfn/stateMachine:StateMachine',
} as const;
export const RESOURCE_TYPES = T;

/** Actions AWS only grants on Resource "*" (they are not scoped to a resource). */
/** Session Manager's channel actions (the instance's side of `aws ssm start-session`): AWS grants them on "*" only. */
export const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];
/** ALB TLS policies that allow TLS 1.2 and 1.3 only, with forward-secret ciphers. */
export const TLS_POLICIES = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
];
/** Environment variable names that hold secrets: they belong in a task's `secrets` (SSM), never in plain text. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|API_KEYS?|REDIS_URL)$/;

export const ACTIONS_REQUIRING_STAR_RESOURCE = [
  'ecr:GetAuthorizationToken',
  'logs:DescribeLogGroups',
  'cloudwatch:PutMetricData',
  ...SESSION_MANAGER_ACTIONS,
];

const asList = <V>(value: V | V[] | undefined): V[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const parse = (doc: unknown): any => (typeof doc === 'string' ? JSON.parse(doc) : doc);

/** The Allow statements of an IAM policy resource (none for any other resource). */
function allowStatements(r: PolicyResource): any[] {
  if (r.type !== T.rolePolicy && r.type !== T.policy) return [];
  return (asList(parse(r.props.policy)?.Statement) as any[]).filter((s) => s.Effect === 'Allow');
}

function only(type: string, check: (props: Record<string, any>) => string[]): (r: PolicyResource) => string[] {
  return (r) => (r.type === type ? check(r.props ?? {}) : []);
}

function ingressProblems(
  rules: {
    fromPort?: number;
    toPort?: number;
    protocol?: string;
    cidrBlocks?: string[];
    ipv6CidrBlocks?: string[];
    cidrIpv4?: string;
    cidrIpv6?: string;
  }[],
): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    const all = rule.protocol === '-1' || rule.protocol === 'all';
    const from = rule.fromPort ?? 0;
    const to = rule.toPort ?? 65535;
    if (all || (from <= 22 && to >= 22))
      problems.push(`ingress ${from}-${to}/${rule.protocol} includes SSH (22); use SSM Session Manager`);
    const cidrs = [
      ...asList(rule.cidrBlocks),
      ...asList(rule.ipv6CidrBlocks),
      ...asList(rule.cidrIpv4),
      ...asList(rule.cidrIpv6),
    ];
    if (cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0'))
      problems.push(`ingress ${from}-${to} is open to the world`);
  }
  return problems;
}

export const RESOURCE_RULES: ResourceRule[] = [
  {
    name: 's3-public-access-blocked',
    description: 'Every S3 public access block blocks and ignores public ACLs and policies.',
    check: only(T.publicAccessBlock, (p) =>
      ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets']
        .filter((k) => p[k] !== true)
        .map((k) => `${k} must be true`),
    ),
  },
  {
    name: 's3-encrypted',
    description: 'S3 default encryption is SSE-S3 or SSE-KMS.',
    check: only(T.encryption, (p) => {
      const algorithms = asList(p.rules).map((r: any) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm);
      return algorithms.length > 0 && algorithms.every((a) => a === 'AES256' || a === 'aws:kms' || a === 'aws:kms:dsse')
        ? []
        : ['server-side encryption must be AES256 or aws:kms'];
    }),
  },
  {
    name: 's3-versioned',
    description: 'S3 versioning is enabled.',
    check: only(T.versioning, (p) =>
      p.versioningConfiguration?.status === 'Enabled' ? [] : ['versioning must be Enabled'],
    ),
  },
  {
    name: 's3-tls-only',
    description: 'Bucket policies deny every request that is not over TLS.',
    check: only(T.bucketPolicy, (p) => {
      const statements = asList(parse(p.policy)?.Statement);
      const denies = statements.some(
        (s: any) =>
          s.Effect === 'Deny' &&
          String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false' &&
          asList(s.Action).includes('s3:*'),
      );
      return denies ? [] : ['the bucket policy must deny s3:* when aws:SecureTransport is false'];
    }),
  },
  {
    name: 'ec2-imdsv2-required',
    description: 'Instances require IMDSv2 session tokens.',
    check: only(T.instance, (p) =>
      p.metadataOptions?.httpTokens === 'required' ? [] : ['metadataOptions.httpTokens must be "required"'],
    ),
  },
  {
    name: 'ec2-root-volume-encrypted',
    description: 'Instance root volumes are encrypted.',
    check: only(T.instance, (p) =>
      p.rootBlockDevice?.encrypted === true ? [] : ['rootBlockDevice.encrypted must be true'],
    ),
  },
  {
    name: 'ec2-free-tier',
    description: `Instances are of a free-tier type (${FREE_TIER_INSTANCE_TYPES.join(', ')}).`,
    check: only(T.instance, (p) =>
      FREE_TIER_INSTANCE_TYPES.includes(p.instanceType)
        ? []
        : [`instance type ${p.instanceType} is not in the free tier`],
    ),
  },
  {
    name: 'no-ssh-no-world-ingress',
    description: 'No security group lets SSH in, and none is open to the world.',
    check: (r) => {
      if (r.type === T.securityGroup) return ingressProblems(asList(r.props.ingress));
      if (r.type === T.ingressRule) return ingressProblems([{ ...r.props, protocol: r.props.ipProtocol }]);
      if (r.type === T.sgRule && r.props.type === 'ingress') return ingressProblems([r.props]);
      return [];
    },
  },
  {
    name: 'iam-no-broad-managed-policies',
    description:
      'Roles carry inline policies written for this stack, not AWS-managed ones (AmazonSSMManagedInstanceCore, say, reads every SSM parameter).',
    check: (r) => {
      const arns =
        r.type === T.rolePolicyAttachment
          ? [r.props.policyArn]
          : r.type === T.role
            ? asList<string>(r.props.managedPolicyArns)
            : [];
      return arns
        .filter((arn) => typeof arn === 'string' && arn.startsWith('arn:aws:iam::aws:policy/'))
        .map((arn) => `the AWS-managed policy ${arn} grants more than this stack needs`);
    },
  },
  {
    name: 'ec2-standard-credits',
    description: 'Burstable instances run in standard credit mode: unlimited mode bills for sustained CPU.',
    check: only(T.instance, (p) =>
      /^t\d/.test(String(p.instanceType)) && p.creditSpecification?.cpuCredits !== 'standard'
        ? [`instance type ${p.instanceType} must set creditSpecification.cpuCredits to standard`]
        : [],
    ),
  },
  {
    name: 'iam-least-privilege',
    description:
      'IAM statements name their actions and resources; "*" resources only for actions AWS grants no other way.',
    check: (r) => {
      const problems: string[] = [];
      for (const s of allowStatements(r)) {
        const actions = asList<string>(s.Action);
        for (const action of actions) {
          if (action === '*' || action.endsWith(':*'))
            problems.push(`statement ${s.Sid ?? ''} allows wildcard action ${action}`);
        }
        if (s.NotAction || s.NotResource) problems.push(`statement ${s.Sid ?? ''} uses NotAction/NotResource`);
        if (asList(s.Resource).includes('*') && !actions.every((a) => ACTIONS_REQUIRING_STAR_RESOURCE.includes(a))) {
          problems.push(`statement ${s.Sid ?? ''} grants ${actions.join(', ')} on Resource "*"`);
        }
      }
      return problems;
    },
  },
  {
    name: 'ecr-scan-and-immutable',
    description: 'ECR repositories scan on push and have immutable tags.',
    check: only(T.repository, (p) => [
      ...(p.imageScanningConfiguration?.scanOnPush === true
        ? []
        : ['imageScanningConfiguration.scanOnPush must be true']),
      ...(p.imageTagMutability === 'IMMUTABLE' ? [] : ['imageTagMutability must be IMMUTABLE']),
    ]),
  },
  {
    name: 'logs-retention',
    description: 'Log groups have a retention period.',
    check: only(T.logGroup, (p) => (Number(p.retentionInDays) > 0 ? [] : ['retentionInDays must be set'])),
  },
  {
    name: 'alb-hardened',
    description: 'Load balancers drop invalid HTTP headers and write access logs.',
    check: only(T.loadBalancer, (p) => [
      ...(p.dropInvalidHeaderFields === true ? [] : ['dropInvalidHeaderFields must be true']),
      ...(p.accessLogs?.enabled === true ? [] : ['accessLogs must be enabled']),
    ]),
  },
  {
    name: 'alb-tls-policy',
    description: `HTTPS listeners allow TLS 1.2+ only (${TLS_POLICIES.join(', ')}).`,
    check: only(T.listener, (p) =>
      p.protocol === 'HTTPS' && !TLS_POLICIES.includes(p.sslPolicy)
        ? [`sslPolicy ${p.sslPolicy} allows TLS below 1.2 or weak ciphers`]
        : [],
    ),
  },
  {
    name: 'ecs-deploys-roll-back',
    description: 'ECS services deploy with the circuit breaker and automatic rollback.',
    check: only(T.ecsService, (p) =>
      p.deploymentCircuitBreaker?.enable === true && p.deploymentCircuitBreaker?.rollback === true
        ? []
        : ['deploymentCircuitBreaker must enable rollback'],
    ),
  },
  {
    name: 'ecs-containers-hardened',
    description:
      'Containers are not privileged, ship their logs, and take secrets from `secrets`, never from plain environment variables.',
    check: only(T.taskDefinition, (p) => {
      const containers = asList(parse(p.containerDefinitions)) as any[];
      return containers.flatMap((c) => [
        ...(c.privileged === true ? [`container ${c.name} is privileged`] : []),
        ...(c.logConfiguration?.logDriver ? [] : [`container ${c.name} has no logConfiguration`]),
        ...asList<{ name: string }>(c.environment)
          .filter((e) => SECRET_NAME.test(e.name))
          .map((e) => `container ${c.name} has ${e.name} in plain environment; use secrets`),
      ]);
    }),
  },
  {
    name: 'elasticache-encrypted',
    description: 'Redis is encrypted at rest and in transit, and asks for an AUTH token.',
    check: only(T.replicationGroup, (p) => [
      ...(p.atRestEncryptionEnabled === true ? [] : ['atRestEncryptionEnabled must be true']),
      ...(p.transitEncryptionEnabled === true ? [] : ['transitEncryptionEnabled must be true']),
      ...(p.authToken ? [] : ['authToken must be set']),
    ]),
  },
  {
    name: 'waf-rate-limited',
    description: 'Web ACLs block a client IP that exceeds a rate-based limit.',
    check: only(T.webAcl, (p) =>
      asList(p.rules).some(
        (r: any) => r.statement?.rateBasedStatement?.aggregateKeyType === 'IP' && r.action?.block !== undefined,
      )
        ? []
        : ['a rule must block by rateBasedStatement per IP'],
    ),
  },
  {
    name: 'athena-results-encrypted',
    description: 'Athena workgroups enforce their settings, encrypt query results and cap the bytes a query scans.',
    check: only(T.athenaWorkgroup, (p) => {
      const c = p.configuration ?? {};
      return [
        ...(c.enforceWorkgroupConfiguration === true ? [] : ['enforceWorkgroupConfiguration must be true']),
        ...(c.resultConfiguration?.encryptionConfiguration?.encryptionOption
          ? []
          : ['query results must be encrypted']),
        ...(c.bytesScannedCutoffPerQuery > 0 ? [] : ['bytesScannedCutoffPerQuery must be set']),
      ];
    }),
  },
  {
    name: 'glue-tables-in-s3',
    description: 'Catalog tables read S3 locations only, never a local or HTTP path.',
    check: only(T.glueTable, (p) =>
      typeof p.storageDescriptor?.location === 'string' && p.storageDescriptor.location.startsWith('s3://')
        ? []
        : ['storageDescriptor.location must be an s3:// location'],
    ),
  },
  {
    name: 'glue-symlink-tables-name-their-partition',
    description:
      'A table read through symlink manifests projects its partition as injected, so every query names the one it ' +
      'reads instead of scanning every snapshot.',
    check: only(T.glueTable, (p) => {
      if (p.storageDescriptor?.inputFormat !== 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat') return [];
      const keys = asList(p.partitionKeys) as { name: string }[];
      return keys.length > 0 && keys.every((k) => p.parameters?.[`projection.${k.name}.type`] === 'injected')
        ? []
        : ['every partition key of a symlink table must be projected as injected'];
    }),
  },
  {
    name: 'iam-run-and-pass-named',
    description:
      'ecs:RunTask names task definitions and a cluster condition; iam:PassRole names roles and the service they go ' +
      'to: a role that runs tasks cannot run (or hand its roles to) anything else.',
    check: (r) => {
      const problems: string[] = [];
      for (const s of allowStatements(r)) {
        const actions = asList<string>(s.Action);
        const resources = asList<string>(s.Resource).map(String);
        if (actions.includes('ecs:RunTask')) {
          if (!resources.every((arn) => /:task-definition\/[^*]+(:\*)?$/.test(arn)))
            problems.push(`statement ${s.Sid ?? ''} runs tasks other than named task definitions`);
          if (!s.Condition?.ArnLike?.['ecs:cluster'] && !s.Condition?.ArnEquals?.['ecs:cluster'])
            problems.push(`statement ${s.Sid ?? ''} runs tasks on any cluster`);
        }
        if (actions.includes('iam:PassRole')) {
          if (resources.some((arn) => arn.includes('*')))
            problems.push(`statement ${s.Sid ?? ''} passes roles matched by a wildcard`);
          if (!s.Condition?.StringEquals?.['iam:PassedToService'])
            problems.push(`statement ${s.Sid ?? ''} passes roles to any service (add iam:PassedToService)`);
        }
      }
      return problems;
    },
  },
  {
    name: 'state-machines-bounded',
    description:
      'A state machine runs named ECS task definitions only; every task state has a timeout and retries with ' +
      'backoff, and every map a concurrency limit.',
    check: only(T.stateMachine, (p) => {
      const problems: string[] = [];
      const visit = (states: Record<string, any>) => {
        for (const [name, state] of Object.entries(states ?? {})) {
          if (state.Type === 'Task') {
            if (String(state.Resource).startsWith('arn:aws:states:::ecs:runTask')) {
              const definition = state.Parameters?.TaskDefinition;
              if (typeof definition !== 'string' || !/:task-definition\//.test(definition))
                problems.push(`state ${name} runs a task definition that is not named`);
            }
            if (!(Number(state.TimeoutSeconds) > 0)) problems.push(`state ${name} has no TimeoutSeconds`);
            const retries = asList(state.Retry) as any[];
            if (retries.length === 0 || retries.some((r) => !(Number(r.BackoffRate) >= 1)))
              problems.push(`state ${name} has no retry with a backoff rate`);
          }
          if (state.Type === 'Map') {
            if (!(Number(state.MaxConcurrency) > 0)) problems.push(`map ${name} has no MaxConcurrency`);
            visit((state.ItemProcessor ?? state.Iterator)?.States);
          }
        }
      };
      visit(parse(p.definition)?.States);
      return problems;
    }),
  },
  {
    name: 'alarms-notify',
    description: 'Every alarm notifies someone.',
    check: only(T.alarm, (p) => (asList(p.alarmActions).length > 0 ? [] : ['alarmActions must name a topic'])),
  },
];

export const STACK_RULES: StackRule[] = [
  {
    name: 's3-buckets-fully-protected',
    description: 'Every bucket has a public access block, default encryption, versioning and a TLS-only policy.',
    check: (resources) => {
      const of = (type: string) => new Set(resources.filter((r) => r.type === type).map((r) => r.props.bucket));
      const guards: [string, Set<unknown>][] = [
        ['a public access block', of(T.publicAccessBlock)],
        ['default encryption', of(T.encryption)],
        ['versioning', of(T.versioning)],
        ['a bucket policy', of(T.bucketPolicy)],
      ];
      return resources
        .filter((r) => r.type === T.bucket)
        .flatMap((b) =>
          guards
            .filter(([, set]) => !set.has(b.props.bucket))
            .map(([what]) => `bucket ${b.props.bucket} has no ${what}`),
        );
    },
  },
  {
    name: 'state-machines-alarm-on-failure',
    description: 'Every state machine has an alarm on its failed executions.',
    check: (resources) => {
      const watched = new Set(
        resources
          .filter((r) => r.type === T.alarm && r.props.metricName === 'ExecutionsFailed')
          .map((r) => r.props.dimensions?.StateMachineArn),
      );
      return resources
        .filter((r) => r.type === T.stateMachine && !watched.has(r.props.arn))
        .map((r) => `state machine ${r.name ?? r.props.arn} has no alarm on ExecutionsFailed`);
    },
  },
  {
    name: 'alb-behind-waf',
    description: 'Every internet-facing load balancer has a web ACL.',
    check: (resources) => {
      const guarded = new Set(resources.filter((r) => r.type === T.webAclAssociation).map((r) => r.props.resourceArn));
      return resources
        .filter((r) => r.type === T.loadBalancer && r.props.internal !== true && !guarded.has(r.props.arn))
        .map((r) => `load balancer ${r.name ?? r.props.arn} has no web ACL`);
    },
  },
];

/** Every violation of every rule, prefixed with the rule and resource, for a whole stack. */
export function violations(resources: PolicyResource[]): string[] {
  const out: string[] = [];
  for (const resource of resources) {
    for (const rule of RESOURCE_RULES) {
      for (const message of rule.check(resource))
        out.push(`${rule.name}: ${resource.name ?? resource.type}: ${message}`);
    }
  }
  for (const rule of STACK_RULES) for (const message of rule.check(resources)) out.push(`${rule.name}: ${message}`);
  return out;
}
