import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FleetSettings } from '../config.js';
import { ecrPullStatements, ecsTaskRole, RoleWithPolicy, writeLogsStatement } from './iam.js';
import { LoadBalancer } from './load-balancer.js';
import type { NetworkPlacement } from './network.js';
import type { PrivateBucket } from './private-bucket.js';
import { RateLimitCache, REDIS_PORT } from './rate-limit-cache.js';
import type { ContainerImage } from './registry.js';
import { serviceDataStatements, serviceParameters, ServiceSecrets } from './service-access.js';
import { CONTAINER_STOP_TIMEOUT_S, SCRATCH_PATHS, serviceEnvironment } from './user-data.js';

export interface FleetArgs {
  /** The VPC and subnets (at least two availability zones) of the balancer, the tasks and the cache. */
  network: NetworkPlacement;
  listen: { allowedCidr: string; containerPort: number };
  settings: FleetSettings;
  image: ContainerImage;
  /** Read: the model store. */
  modelsBucket: PrivateBucket;
  /** Written, under predictionsPrefix only: the prediction log; the ALB's access logs under loadBalancerLogsPrefix. */
  dataBucket: PrivateBucket;
  predictionsPrefix: string;
  loadBalancerLogsPrefix: string;
  modelName: string;
  logGroup: aws.cloudwatch.LogGroup;
  secrets: ServiceSecrets;
  pollIntervalS: number;
  alarmTopic: aws.sns.Topic;
  tags: Record<string, string>;
}

type TrackedMetric =
  aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification;

/** The container inside each task. */
export const SERVICE_CONTAINER = 'service';
/** How long the balancer keeps a stopping task's requests flowing: the service's request deadline (30 s). */
export const DEREGISTRATION_DELAY_S = 30;
/** Time for a new task to load and verify its model before failed health checks count against it. */
export const HEALTH_CHECK_GRACE_S = 60;

/**
 * The service as many Fargate tasks behind an Application Load Balancer, across the default VPC's
 * availability zones: the same image, environment, secrets and least-privilege data access as the single
 * instance, plus a Redis for fleet-wide rate limits. Deploys roll (new tasks healthy before old ones drain),
 * and the ECS circuit breaker rolls a failing deploy back. Autoscaling tracks requests per task and CPU.
 *
 * Tasks get public IPs (with a security group that admits only the balancer) to reach ECR, S3 and CloudWatch
 * without a NAT gateway, which would cost about as much as the two tasks of the minimum size ($33 against $36 a
 * month at list prices).
 */
export class Fleet extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly service: aws.ecs.Service;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly taskSecurityGroup: aws.ec2.SecurityGroup;
  readonly loadBalancer: LoadBalancer;
  readonly cache: RateLimitCache;
  readonly executionRole: RoleWithPolicy;
  readonly taskRole: RoleWithPolicy;
  readonly parameters: {
    adminToken: aws.ssm.Parameter;
    apiKeys: aws.ssm.Parameter;
    metricsToken: aws.ssm.Parameter | undefined;
    reviewerTokens: aws.ssm.Parameter | undefined;
    redisUrl: aws.ssm.Parameter;
  };

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:fleet:Fleet', name, {}, opts);
    const parent = { parent: this };
    const { settings, tags } = args;
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const { network } = args;

    this.taskSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-tasks-sg`,
      {
        vpcId: network.vpcId,
        description: 'Loan default fleet tasks: the service port from the ALB only; no SSH',
        tags,
      },
      parent,
    );
    this.loadBalancer = new LoadBalancer(
      name,
      {
        network: { ...network, allowedCidr: args.listen.allowedCidr },
        target: {
          port: args.listen.containerPort,
          healthCheckPath: '/health/ready',
          deregistrationDelayS: DEREGISTRATION_DELAY_S,
        },
        https: settings.https,
        accessLogs: { bucket: args.dataBucket, prefix: args.loadBalancerLogsPrefix },
        wafRequestsPer5Min: settings.wafRequestsPer5Min,
        alarms: { topic: args.alarmTopic, p99Ms: settings.p99AlarmMs, fiveXxPercent: 1 },
        tags,
      },
      parent,
    );
    this.cache = new RateLimitCache(
      name,
      { network, clientSecurityGroupId: this.taskSecurityGroup.id, nodeType: settings.redisNodeType, tags },
      parent,
    );
    this.trafficRules(name, args.listen.containerPort, tags);

    const parameters = serviceParameters(name, args.secrets, tags, this);
    this.parameters = {
      ...parameters,
      redisUrl: new aws.ssm.Parameter(
        `${name}-redis-url`,
        {
          type: 'SecureString',
          value: this.cache.url,
          description: 'rediss:// URL (with its AUTH token) of the fleet rate-limit counters',
          tags,
        },
        parent,
      ),
    };
    // The container's secrets, by variable: ECS reads each from SSM when it starts a task.
    const secrets: [string, aws.ssm.Parameter][] = [
      ['ADMIN_TOKEN', this.parameters.adminToken],
      ['API_KEYS', this.parameters.apiKeys],
      ['REDIS_URL', this.parameters.redisUrl],
      ...(this.parameters.metricsToken
        ? [['METRICS_TOKEN', this.parameters.metricsToken] as [string, aws.ssm.Parameter]]
        : []),
      ...(this.parameters.reviewerTokens
        ? [['REVIEWER_TOKENS', this.parameters.reviewerTokens] as [string, aws.ssm.Parameter]]
        : []),
    ];
    const secretArns = secrets.map(([, parameter]) => parameter.arn);

    // ECS itself (pull the image, ship logs, hand the secrets to the container) and the service's own role.
    this.executionRole = ecsTaskRole(
      `${name}-execution`,
      {
        account,
        statements: [
          ...ecrPullStatements(args.image.repository.arn),
          writeLogsStatement([args.logGroup.arn]),
          { Sid: 'ReadSecrets', Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: secretArns },
        ],
        tags,
      },
      this,
    );
    this.taskRole = ecsTaskRole(
      `${name}-task`,
      { account, statements: serviceDataStatements(args.modelsBucket, args.dataBucket, args.predictionsPrefix), tags },
      this,
    );

    const container = pulumi
      .all([
        args.image.ref,
        args.logGroup.name,
        args.modelsBucket.name,
        args.dataBucket.name,
        region,
        network.cidrBlock,
        pulumi.all(secretArns),
      ])
      .apply(([image, logGroup, modelsBucket, dataBucket, regionName, vpcCidr, arns]) => {
        const environment = [
          ...serviceEnvironment({
            containerPort: args.listen.containerPort,
            modelStore: `s3://${modelsBucket}`,
            modelName: args.modelName,
            pollIntervalS: args.pollIntervalS,
            predictionLog: `s3://${dataBucket}/${args.predictionsPrefix.replace(/\/$/, '')}`,
            region: regionName,
          }),
          // Only the balancer reaches the tasks: its X-Forwarded-For names the client that limits count.
          ['TRUST_PROXY', vpcCidr],
        ];
        return JSON.stringify([
          {
            name: SERVICE_CONTAINER,
            image,
            essential: true,
            portMappings: [{ containerPort: args.listen.containerPort, protocol: 'tcp' }],
            environment: environment.map(([key, value]) => ({ name: key, value: String(value) })),
            secrets: secrets.map(([variable], i) => ({ name: variable, valueFrom: arns[i] })),
            // As on the instance (docker run --read-only --tmpfs): the image is immutable, scratch space is not.
            // Writable by the image's user because the image declares these paths as VOLUMEs (service/Dockerfile);
            // they live as long as the task: spilled records not yet delivered at its end are lost with it.
            readonlyRootFilesystem: true,
            mountPoints: Object.entries(SCRATCH_PATHS).map(([sourceVolume, containerPath]) => ({
              sourceVolume,
              containerPath,
            })),
            stopTimeout: CONTAINER_STOP_TIMEOUT_S,
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': logGroup,
                'awslogs-region': regionName,
                'awslogs-stream-prefix': 'fleet',
                mode: 'non-blocking',
                'max-buffer-size': '4m',
              },
            },
          },
        ]);
      });
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-service`,
      {
        family: `${name}-service`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: String(settings.taskCpu),
        memory: String(settings.taskMemory),
        executionRoleArn: this.executionRole.role.arn,
        taskRoleArn: this.taskRole.role.arn,
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        volumes: Object.keys(SCRATCH_PATHS).map((volume) => ({ name: volume })),
        containerDefinitions: container,
        tags,
      },
      parent,
    );

    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, { tags }, parent);
    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: this.cluster.arn,
        taskDefinition: this.taskDefinition.arn,
        launchType: 'FARGATE',
        desiredCount: settings.minTasks,
        networkConfiguration: {
          subnets: network.subnetIds,
          securityGroups: [this.taskSecurityGroup.id],
          assignPublicIp: true,
        },
        loadBalancers: [
          {
            targetGroupArn: this.loadBalancer.targetGroup.arn,
            containerName: SERVICE_CONTAINER,
            containerPort: args.listen.containerPort,
          },
        ],
        healthCheckGracePeriodSeconds: HEALTH_CHECK_GRACE_S,
        // Rolling: start new tasks beside the old ones, stop old ones only as new ones pass the balancer's checks.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        availabilityZoneRebalancing: 'ENABLED',
        propagateTags: 'SERVICE',
        enableExecuteCommand: false,
        // `pulumi up` ends when the deploy has settled (or failed and rolled back), not when it was asked for.
        waitForSteadyState: true,
        tags,
      },
      // Autoscaling owns the count after creation. ECS refuses a target group that no listener uses yet. Tasks
      // started before their roles' policies are attached could neither pull the image nor read the store.
      {
        parent: this,
        ignoreChanges: ['desiredCount'],
        dependsOn: [...this.loadBalancer.listeners, this.executionRole.policy, this.taskRole.policy],
      },
    );

    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${this.cluster.name}/${this.service.name}`,
        minCapacity: settings.minTasks,
        maxCapacity: settings.maxTasks,
        tags,
      },
      parent,
    );
    const track = (id: string, predefinedMetricSpecification: TrackedMetric, targetValue: number) =>
      new aws.appautoscaling.Policy(
        `${name}-${id}`,
        {
          policyType: 'TargetTrackingScaling',
          serviceNamespace: scaling.serviceNamespace,
          scalableDimension: scaling.scalableDimension,
          resourceId: scaling.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification,
            targetValue,
            scaleOutCooldown: 60,
            scaleInCooldown: 300,
          },
        },
        parent,
      );
    track(
      'requests-per-task',
      {
        predefinedMetricType: 'ALBRequestCountPerTarget',
        resourceLabel: pulumi.interpolate`${this.loadBalancer.alb.arnSuffix}/${this.loadBalancer.targetGroup.arnSuffix}`,
      },
      settings.requestsPerTaskPerMinute,
    );
    track('cpu', { predefinedMetricType: 'ECSServiceAverageCPUUtilization' }, settings.cpuTargetPercent);

    this.registerOutputs({ url: this.loadBalancer.url, cluster: this.cluster.name, service: this.service.name });
  }

  /** Clients → ALB → tasks → Redis, and the tasks' HTTPS to AWS APIs: nothing else, in either direction. */
  private trafficRules(name: string, containerPort: number, tags: Record<string, string>) {
    const parent = { parent: this };
    const albGroup = this.loadBalancer.securityGroup.id;
    const taskGroup = this.taskSecurityGroup.id;
    const port = { ipProtocol: 'tcp', fromPort: containerPort, toPort: containerPort, tags };
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-tasks`,
      { securityGroupId: albGroup, referencedSecurityGroupId: taskGroup, description: 'fleet tasks', ...port },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-tasks-from-alb`,
      { securityGroupId: taskGroup, referencedSecurityGroupId: albGroup, description: 'ALB', ...port },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-to-aws`,
      {
        securityGroupId: taskGroup,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
        description: 'HTTPS to AWS APIs',
        tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-to-redis`,
      {
        securityGroupId: taskGroup,
        ipProtocol: 'tcp',
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        referencedSecurityGroupId: this.cache.securityGroup.id,
        description: 'rate-limit counters',
        tags,
      },
      parent,
    );
  }
}
