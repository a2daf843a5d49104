import type * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
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
import { RESOURCE_TYPES as T, violations } from '../../infra/policy/rules.js';
import { TLS_POLICY } from '../../infra/components/load-balancer.js';
import { serviceEnvironment, SERVICE_SHUTDOWN_TIMEOUT_MS } from '../../infra/components/user-data.js';
import { loadAppConfig } from '../../service/src/config/app.config.js';
import { EMF_NAMESPACE } from '../../service/src/monitoring/emf-publisher.js';

/*
 * The Pulumi program in fleet mode (deployment: fleet, with a certificate) under pulumi.runtime.setMocks: every
 * property the fleet promises is asserted on the inputs the program gives each resource.
 */
const ALLOWED_CIDR = '198.51.100.0/24';
const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const resources: MockResource[] = installPulumiMocks({
  'aws:region': 'eu-west-1',
  'loan-default:allowedCidr': ALLOWED_CIDR,
  'loan-default:deployment': 'fleet',
  'loan-default:minTasks': '2',
  'loan-default:maxTasks': '10',
  'loan-default:certificateArn': CERTIFICATE,
  'loan-default:domainName': 'loans.example.com',
  'loan-default:hostedZoneId': 'Z0123456789ABCDEFGHIJ',
  'loan-default:wafRequestsPer5Min': '20000',
  'loan-default:requestsPerTaskPerMinute': '30000',
  'loan-default:alarmEmail': 'oncall@example.com',
});
const options = new Map<string, pulumi.CustomResourceOptions>();
let program: ProgramOutputs;

beforeAll(async () => {
  recordOptions('@pulumi/aws/ecs/service', 'Service', options);
  recordOptions('@pulumi/aws/lb/loadBalancer', 'LoadBalancer', options);
  program = await runProgram(resources);
});

const { ofType, one, named } = resourceQueries(resources);
const policyDoc = (r: MockResource) => JSON.parse(r.inputs.policy);
const bucket = (kind: 'data' | 'models') => named(`loan-default-${kind}`, T.bucket).state;
const container = () =>
  JSON.parse(one('aws:ecs/taskDefinition:TaskDefinition', 'fleet').inputs.containerDefinitions)[0];
/** A security group's id, as the mocks give it (`<name>-id`); the group must exist. */
const group = (name: string) => `${named(`loan-default-fleet-${name}`).name}-id`;
const INGRESS = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule';
const EGRESS = 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule';
const rulesOf = (type: string, groupName: string) =>
  ofType(type).filter((r) => r.inputs.securityGroupId === group(groupName));

describe('fleet mode', () => {
  it('replaces the instance with an ECS service and leaves everything else as in single mode', () => {
    expect(ofType(T.instance)).toEqual([]);
    expect(ofType('aws:ec2/eip:Eip')).toEqual([]);
    expect(
      ofType(T.bucket)
        .map((b) => b.name)
        .sort(),
    ).toEqual(['loan-default-data', 'loan-default-models']);
    expect(ofType(T.repository)).toHaveLength(2);
    // Retraining keeps its own cluster; the fleet has one more.
    expect(
      ofType('aws:ecs/cluster:Cluster')
        .map((c) => c.name)
        .sort(),
    ).toEqual(['loan-default-cluster', 'loan-default-fleet-cluster']);
  });

  it('runs minTasks Fargate tasks across the availability zones, rolling deploys with the circuit breaker and rollback', () => {
    const service = one('aws:ecs/service:Service');
    expect(service.inputs).toMatchObject({
      launchType: 'FARGATE',
      desiredCount: 2,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      waitForSteadyState: true,
    });
    expect(service.inputs.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    // The default VPC's default subnets: one per zone, so two subnets are two zones.
    expect(service.inputs.networkConfiguration.subnets).toEqual(['subnet-0aaa', 'subnet-0bbb']);
    expect(service.inputs.networkConfiguration.securityGroups).toEqual([group('tasks-sg')]);
    expect(service.inputs.loadBalancers).toEqual([
      { targetGroupArn: named('loan-default-fleet-tasks').state.arn, containerName: 'service', containerPort: 3000 },
    ]);
    expect(service.inputs.healthCheckGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    // Autoscaling owns the count; ECS refuses a target group before a listener uses it.
    expect(options.get(service.name)?.ignoreChanges).toEqual(['desiredCount']);
    // ...and its tasks start only once their roles' inline policies are attached.
    expect(dependencyNames(options.get(service.name)).sort()).toEqual([
      'loan-default-fleet-execution',
      'loan-default-fleet-http',
      'loan-default-fleet-https',
      'loan-default-fleet-task',
    ]);
    const types = ([options.get(service.name)?.dependsOn].flat() as { __pulumiType?: string }[]).map(
      (r) => r.__pulumiType,
    );
    expect(types.filter((t) => t === 'aws:iam/rolePolicy:RolePolicy')).toHaveLength(2);
  });

  it('runs the same image by digest, with the same environment contract as the instance, its secrets from SSM', () => {
    const task = one('aws:ecs/taskDefinition:TaskDefinition', 'fleet');
    expect(task.inputs).toMatchObject({
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
    });
    const c = container();
    const repo = named('loan-default-service', T.repository).state;
    expect(c.image).toBe(`${repo.repositoryUrl}@sha256:${'ab'.repeat(32)}`);
    const env = Object.fromEntries(c.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    const contract = serviceEnvironment({
      containerPort: 3000,
      modelStore: `s3://${bucket('models').bucket}`,
      modelName: 'loan-default',
      pollIntervalS: 30,
      predictionLog: `s3://${bucket('data').bucket}/predictions`,
      region: 'eu-west-1',
    });
    expect(env).toEqual({
      ...Object.fromEntries(contract.map(([k, v]) => [k, String(v)])),
      TRUST_PROXY: '172.31.0.0/16',
    });
    // Every variable the service reads is valid as given.
    expect(() => loadAppConfig(env)).not.toThrow();
    const parameters = ofType('aws:ssm/parameter:Parameter');
    expect(parameters.every((p) => p.inputs.type === 'SecureString')).toBe(true);
    const arnOf = (suffix: string) => parameters.find((p) => p.name === `loan-default-fleet-${suffix}`)!.state.arn;
    expect(c.secrets).toEqual([
      { name: 'ADMIN_TOKEN', valueFrom: arnOf('admin-token') },
      { name: 'API_KEYS', valueFrom: arnOf('api-keys') },
      { name: 'REDIS_URL', valueFrom: arnOf('redis-url') },
      // On by default in fleet mode: the monitoring routes (approval rates by gender among them) face the
      // internet through the load balancer.
      { name: 'METRICS_TOKEN', valueFrom: arnOf('metrics-token') },
    ]);
    expect(JSON.stringify(c.environment)).not.toMatch(/generated-admin-token|rediss:/);
  });

  it('stops a task only after the balancer drained it and the service flushed its records', () => {
    const c = container();
    expect(c.readonlyRootFilesystem).toBe(true);
    expect(c.mountPoints.map((m: { containerPath: string }) => m.containerPath).sort()).toEqual(['/app/var', '/tmp']);
    // SIGKILL comes stopTimeout after SIGTERM: the service's own deadline ends 2 s or more before it.
    expect(SERVICE_SHUTDOWN_TIMEOUT_MS + 2_000).toBeLessThanOrEqual(c.stopTimeout * 1000);
    expect(c.logConfiguration).toMatchObject({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/loan-default/dev/service', mode: 'non-blocking' },
    });
    const targets = one('aws:lb/targetGroup:TargetGroup');
    // ECS sends SIGTERM once deregistration ends: in-flight requests (up to the request deadline) finish first.
    expect(targets.inputs.deregistrationDelay * 1000).toBeGreaterThanOrEqual(loadAppConfig({}).requestTimeoutMs);
    expect(targets.inputs).toMatchObject({ targetType: 'ip', protocol: 'HTTP', port: 3000 });
    expect(targets.inputs.healthCheck).toMatchObject({ path: '/health/ready', matcher: '200' });
  });

  it('faces the internet through an ALB that drops invalid headers, logs to the data bucket and closes idle connections before the service', () => {
    const alb = one('aws:lb/loadBalancer:LoadBalancer');
    expect(alb.inputs).toMatchObject({
      internal: false,
      loadBalancerType: 'application',
      dropInvalidHeaderFields: true,
    });
    expect(alb.inputs.subnets).toEqual(['subnet-0aaa', 'subnet-0bbb']);
    expect(alb.inputs.accessLogs).toEqual({ bucket: bucket('data').bucket, prefix: 'alb-logs', enabled: true });
    // AWS checks its right to write logs when the ALB is created: the bucket policy must exist first.
    expect(dependencyNames(options.get(alb.name))).toEqual(['loan-default-data']);
    // The service keeps idle connections 72 s: the balancer must give up first, or it sends to a closed socket.
    expect(alb.inputs.idleTimeout).toBeLessThan(72);
    const policy = policyDoc(ofType(T.bucketPolicy).find((p) => p.inputs.bucket === bucket('data').bucket)!);
    const delivery = policy.Statement.find((s: { Sid: string }) => s.Sid === 'LoadBalancerAccessLogs');
    expect(delivery).toEqual({
      Sid: 'LoadBalancerAccessLogs',
      Effect: 'Allow',
      Principal: {
        AWS: ['arn:aws:iam::156460612806:root'],
        Service: ['logdelivery.elasticloadbalancing.amazonaws.com'],
      },
      Action: 's3:PutObject',
      Resource: `${bucket('data').arn}/alb-logs/AWSLogs/123456789012/*`,
    });
    const models = policyDoc(ofType(T.bucketPolicy).find((p) => p.inputs.bucket === bucket('models').bucket)!);
    expect(models.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['DenyInsecureTransport']);
  });

  it('serves HTTPS on 443 with a TLS 1.2+ policy and redirects HTTP to it', async () => {
    const listeners = ofType('aws:lb/listener:Listener');
    const https = listeners.find((l) => l.inputs.port === 443)!;
    expect(https.inputs).toMatchObject({ protocol: 'HTTPS', certificateArn: CERTIFICATE, sslPolicy: TLS_POLICY });
    expect(https.inputs.defaultActions).toEqual([
      { type: 'forward', targetGroupArn: named('loan-default-fleet-tasks').state.arn },
    ]);
    const http = listeners.find((l) => l.inputs.port === 80)!;
    expect(http.inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    expect(program.fleetWarning).toBeUndefined();
  });

  it('is called by the name its certificate covers, with a Route 53 alias to the balancer', async () => {
    // An ACM certificate never covers <alb>.elb.amazonaws.com: a client that checks names would fail there.
    expect(await valueOf(program.serviceUrl)).toBe('https://loans.example.com');
    const alias = one('aws:route53/record:Record');
    expect(alias.inputs).toMatchObject({ zoneId: 'Z0123456789ABCDEFGHIJ', name: 'loans.example.com', type: 'A' });
    expect(alias.inputs.aliases).toEqual([
      {
        name: named('loan-default-fleet-alb').state.dnsName,
        zoneId: named('loan-default-fleet-alb').state.zoneId,
        evaluateTargetHealth: true,
      },
    ]);
    expect(await valueOf(program.loadBalancerDnsName)).toBe(named('loan-default-fleet-alb').state.dnsName);
  });

  it('puts a WAF rate limit per client IP in front of the ALB', () => {
    const acl = one('aws:wafv2/webAcl:WebAcl');
    expect(acl.inputs).toMatchObject({ scope: 'REGIONAL', defaultAction: { allow: {} } });
    expect(acl.inputs.rules).toEqual([
      expect.objectContaining({
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 20000, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
      }),
    ]);
    expect(one('aws:wafv2/webAclAssociation:WebAclAssociation').inputs).toEqual({
      resourceArn: named('loan-default-fleet-alb').state.arn,
      webAclArn: acl.state.arn,
    });
  });

  it('lets clients reach only the ALB (from allowedCidr), only the ALB reach the tasks, only the tasks reach Redis', () => {
    for (const name of ['alb-sg', 'tasks-sg', 'redis-sg']) {
      const sg = named(`loan-default-fleet-${name}`);
      // No inline rules: they would fight the rule resources at every `pulumi up`.
      expect(sg.inputs.ingress).toBeUndefined();
      expect(sg.inputs.egress).toBeUndefined();
    }
    const port = (r: MockResource) => `${r.inputs.fromPort}-${r.inputs.toPort}`;
    expect(rulesOf(INGRESS, 'alb-sg').map((r) => [port(r), r.inputs.cidrIpv4])).toEqual([
      ['80-80', ALLOWED_CIDR],
      ['443-443', ALLOWED_CIDR],
    ]);
    expect(rulesOf(EGRESS, 'alb-sg').map((r) => [port(r), r.inputs.referencedSecurityGroupId])).toEqual([
      ['3000-3000', group('tasks-sg')],
    ]);
    expect(
      rulesOf(INGRESS, 'tasks-sg').map((r) => [port(r), r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4]),
    ).toEqual([['3000-3000', group('alb-sg'), undefined]]);
    expect(
      rulesOf(EGRESS, 'tasks-sg')
        .map((r) => [port(r), r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4])
        .sort(),
    ).toEqual([
      ['443-443', '0.0.0.0/0'],
      ['6379-6379', group('redis-sg')],
    ]);
    expect(rulesOf(INGRESS, 'redis-sg').map((r) => [port(r), r.inputs.referencedSecurityGroupId])).toEqual([
      ['6379-6379', group('tasks-sg')],
    ]);
    expect(rulesOf(EGRESS, 'redis-sg')).toEqual([]);
  });

  it('scales between minTasks and maxTasks on requests per task and on CPU', () => {
    const target = one('aws:appautoscaling/target:Target');
    expect(target.inputs).toMatchObject({
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: 2,
      maxCapacity: 10,
    });
    expect(target.inputs.resourceId).toBe('service/loan-default-fleet-cluster/loan-default-fleet-service');
    const policies = ofType('aws:appautoscaling/policy:Policy')
      .map((p) => p.inputs.targetTrackingScalingPolicyConfiguration)
      .sort((a, b) =>
        a.predefinedMetricSpecification.predefinedMetricType.localeCompare(
          b.predefinedMetricSpecification.predefinedMetricType,
        ),
      );
    expect(policies).toEqual([
      expect.objectContaining({
        targetValue: 30000,
        predefinedMetricSpecification: {
          predefinedMetricType: 'ALBRequestCountPerTarget',
          resourceLabel:
            'app/loan-default-fleet-alb/0123456789abcdef/targetgroup/loan-default-fleet-tasks/fedcba9876543210',
        },
      }),
      expect.objectContaining({
        targetValue: 60,
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    ]);
  });

  it('shares rate-limit counters in a free-tier ElastiCache Redis, encrypted in transit (with AUTH) and at rest', async () => {
    const redis = one('aws:elasticache/replicationGroup:ReplicationGroup');
    expect(redis.inputs).toMatchObject({
      engine: 'redis',
      nodeType: 'cache.t3.micro',
      numCacheClusters: 1,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      securityGroupIds: [group('redis-sg')],
    });
    expect(redis.inputs.authToken).toBeDefined();
    expect(one('aws:elasticache/subnetGroup:SubnetGroup').inputs.subnetIds).toEqual(['subnet-0aaa', 'subnet-0bbb']);
    const url = named('loan-default-fleet-redis-url');
    // A Pulumi secret: the engine's signature wraps it.
    expect(url.inputs.value.value).toMatch(/^rediss:\/\/:[^@/]+@master\.loan-default-fleet-redis\..*:6379$/);
    expect(Object.keys(url.inputs.value)).toContain('4dabf18193072939515e22adb298388d');
  });

  it('gives ECS only the image, the log group and four parameters, and the tasks only the model store and predictions/', () => {
    const statements = (name: string) =>
      policyDoc(named(name, T.rolePolicy)).Statement as { Sid: string; Action: string[]; Resource: unknown }[];
    const execution = statements('loan-default-fleet-execution');
    expect(execution.map((s) => s.Sid)).toEqual(['EcrLogin', 'PullImage', 'WriteLogs', 'ReadSecrets']);
    expect(execution.find((s) => s.Sid === 'PullImage')!.Resource).toEqual([
      named('loan-default-service', T.repository).state.arn,
    ]);
    expect(execution.find((s) => s.Sid === 'ReadSecrets')).toMatchObject({
      Action: ['ssm:GetParameters'],
      Resource: ['admin-token', 'api-keys', 'redis-url', 'metrics-token'].map(
        (p) => named(`loan-default-fleet-${p}`).state.arn,
      ),
    });
    const task = statements('loan-default-fleet-task');
    expect(task).toEqual([
      { Sid: 'ListModels', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket('models').arn] },
      { Sid: 'ReadModels', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket('models').arn}/*`] },
      {
        Sid: 'WritePredictions',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${bucket('data').arn}/predictions/*`],
      },
      {
        Sid: 'WriteDecisions',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${bucket('data').arn}/decisions/*`],
      },
    ]);
    for (const role of ['loan-default-fleet-execution', 'loan-default-fleet-task']) {
      expect(JSON.parse(named(role, T.role).inputs.assumeRolePolicy).Statement[0]).toMatchObject({
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      });
    }
  });

  it("alarms fleet-wide: 5xx rate and p99 latency from the ALB, input drift from every task's EMF lines", () => {
    const topic = one('aws:sns/topic:Topic').state.arn;
    const fiveXx = one(T.alarm, '5xx-rate');
    const queries = fiveXx.inputs.metricQueries as {
      id: string;
      expression?: string;
      metric?: { metricName: string; dimensions: object };
    }[];
    expect(queries.filter((q) => q.metric).map((q) => q.metric!.metricName)).toEqual([
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_ELB_5XX_Count',
      'RequestCount',
    ]);
    for (const q of queries.filter((q) => q.metric))
      expect(q.metric!.dimensions).toEqual({ LoadBalancer: 'app/loan-default-fleet-alb/0123456789abcdef' });
    expect(queries.find((q) => q.expression)!.expression).toContain('/ requests');
    expect(fiveXx.inputs.threshold).toBe(1);
    const p99 = one(T.alarm, 'p99-latency');
    expect(p99.inputs).toMatchObject({
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      extendedStatistic: 'p99',
      threshold: 0.5,
    });
    const drift = one(T.alarm, 'input-drift');
    expect(drift.inputs).toMatchObject({ namespace: EMF_NAMESPACE, metricName: 'drift_psi_max', threshold: 0.25 });
    for (const alarm of [fiveXx, p99, drift]) expect(alarm.inputs.alarmActions).toEqual([topic]);
  });

  it('has a runbook step in docs/operations.md for every alarm and failure notice the stack creates', () => {
    const runbook = new Set(
      [...readFileSync('docs/operations.md', 'utf8').matchAll(/^### `([a-z0-9-]+)`/gm)].map((m) => m[1]),
    );
    const notices = [...ofType(T.alarm), ...ofType('aws:cloudwatch/eventRule:EventRule')].map((r) =>
      r.name.replace(/^loan-default-(fleet-)?/, ''),
    );
    expect(notices.length).toBeGreaterThanOrEqual(9);
    expect(notices.filter((id) => !runbook.has(id))).toEqual([]);
  });

  it('complies with every rule of the policy pack', () => {
    expect(violations(resources.map((r) => ({ type: r.type, name: r.name, props: r.state })))).toEqual([]);
  });
});
