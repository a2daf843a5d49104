import * as pulumi from '@pulumi/pulumi';
import type { BookScoringSettings } from './components/book-scoring.js';

/**
 * The stack's settings, read once from Pulumi config (see Pulumi.dev.yaml) and checked, in sections by the
 * component they configure (the Pulumi config keys stay flat: `pulumi config set instanceType t3.small`).
 */
export interface StackSettings {
  project: string;
  stack: string;
  modelName: string;
  network: NetworkSettings;
  storage: { forceDestroyBuckets: boolean; noncurrentVersionDays: number; predictionsInfrequentAccessDays: number };
  /** keepImages per repository; imageTag overrides the content-hash tag (e.g. a git sha). */
  images: { keepImages: number; imageTag: string | undefined };
  logging: { retentionDays: number; alarmEmail: string | undefined };
  /** EventBridge Scheduler expression for retraining, and its promotion gate. */
  retraining: {
    schedule: string;
    minAuc: number;
    maxDrop: number;
    stage: 'production' | 'shadow';
    /** The Fargate task's size: CPU units, MiB, and GiB of ephemeral disk (the engine's spill and downloads). */
    task: { cpu: number; memory: number; ephemeralGiB: number };
  };
  /** Scoring whole loan books with Step Functions (npm run score-book per part on Fargate). */
  bookScoring: BookScoringSettings;
  /** `single`: one free-tier EC2 instance. `fleet`: ECS Fargate tasks behind an ALB (the fleet section applies). */
  deployment: 'single' | 'fleet';
  fleet: FleetSettings;
}

export interface NetworkSettings {
  instanceType: string;
  allowedCidr: string;
  servicePort: number;
  /** An existing VPC and its subnets to deploy into; both unset: the region's default VPC and its default subnets. */
  vpcId: string | undefined;
  subnetIds: string[] | undefined;
}

export interface FleetSettings {
  minTasks: number;
  maxTasks: number;
  /** Fargate task size: CPU units (1024 = 1 vCPU) and MiB. */
  taskCpu: number;
  taskMemory: number;
  /**
   * HTTPS on 443: an ACM certificate of the stack's region and the name it covers, which clients use (an ACM
   * certificate never covers the balancer's own elb.amazonaws.com name). With hostedZoneId, the stack creates
   * the Route 53 alias for domainName. Unset: the ALB listens on HTTP 80 and the outputs warn.
   */
  https: { certificateArn: string; domainName: string; hostedZoneId: string | undefined } | undefined;
  /** The WAF's limit per client IP over any 5 minutes. */
  wafRequestsPer5Min: number;
  /** Autoscaling targets: ALB requests per task per minute, and average CPU percent. */
  requestsPerTaskPerMinute: number;
  cpuTargetPercent: number;
  /**
   * ElastiCache node for the shared rate-limit counters (free-tier types: cache.t2.micro, cache.t3.micro,
   * cache.t4g.micro).
   */
  redisNodeType: string;
  /** The ALB p99 latency alarm's threshold. */
  p99AlarmMs: number;
}

/** Fargate's CPU units and the memory sizes (MiB) each allows, for the sizes this service uses. */
export const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: [4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384],
};

/** Retraining runs at 03:00 UTC on the first of each month (EventBridge Scheduler syntax). */
export const MONTHLY = 'cron(0 3 1 * ? *)';
/** Instance types inside the AWS free tier (t2.micro where t3.micro is not offered). */
export const FREE_TIER_INSTANCE_TYPES = ['t3.micro', 't2.micro'];
// CloudWatch Logs accepts only these retention periods.
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/** The widest network allowed to reach the service: a /7 or wider is most of the internet. */
export const MIN_CIDR_PREFIX = 8;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The stack's region as the AWS provider will see it: `aws:region`, else the environment's. */
export function stackRegion(): string | undefined {
  return (
    new pulumi.Config('aws').get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? undefined
  );
}

/** S3 refuses a transition to STANDARD_IA earlier than 30 days after creation. */
export const MIN_INFREQUENT_ACCESS_DAYS = 30;

export function readSettings(config = new pulumi.Config(), region = stackRegion()): StackSettings {
  const instanceType = config.get('instanceType') ?? 't3.micro';
  const allowedCidr = config.require('allowedCidr');
  const match = CIDR.exec(allowedCidr);
  if (!match || match.slice(1, 5).some((o) => Number(o) > 255) || Number(match[5]) > 32) {
    throw new Error(`allowedCidr must be an IPv4 CIDR such as 198.51.100.0/24, got '${allowedCidr}'`);
  }
  if (Number(match[5]) < MIN_CIDR_PREFIX) {
    throw new Error(
      `allowedCidr must not be wider than /${MIN_CIDR_PREFIX} (got /${match[5]}): name the network that should reach the service, not the world or most of it`,
    );
  }
  const logRetentionDays = config.getNumber('logRetentionDays') ?? 14;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new Error(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`);
  }
  const servicePort = config.getNumber('servicePort') ?? 80;
  if (!Number.isInteger(servicePort) || servicePort < 1 || servicePort > 65535 || servicePort === 22) {
    throw new Error(`servicePort must be a TCP port other than 22, got ${servicePort}`);
  }
  const retrainStage = config.get('retrainStage') ?? 'production';
  if (retrainStage !== 'production' && retrainStage !== 'shadow')
    throw new Error(`retrainStage must be production or shadow, got '${retrainStage}'`);
  const deployment = config.get('deployment') ?? 'single';
  if (deployment !== 'single' && deployment !== 'fleet')
    throw new Error(`deployment must be single or fleet, got '${deployment}'`);
  const predictionsInfrequentAccessDays =
    config.getNumber('predictionsInfrequentAccessDays') ?? MIN_INFREQUENT_ACCESS_DAYS;
  if (
    !Number.isInteger(predictionsInfrequentAccessDays) ||
    predictionsInfrequentAccessDays < MIN_INFREQUENT_ACCESS_DAYS
  ) {
    throw new Error(
      `predictionsInfrequentAccessDays must be a whole number of at least ${MIN_INFREQUENT_ACCESS_DAYS} (S3 refuses an earlier move to STANDARD_IA), got ${predictionsInfrequentAccessDays}`,
    );
  }
  return {
    deployment,
    fleet: readFleetSettings(config, region),
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    modelName: config.get('modelName') ?? 'loan-default',
    network: { instanceType, allowedCidr, servicePort, ...readVpcSettings(config) },
    storage: {
      forceDestroyBuckets: config.getBoolean('forceDestroyBuckets') ?? false,
      noncurrentVersionDays: config.getNumber('noncurrentVersionDays') ?? 90,
      predictionsInfrequentAccessDays,
    },
    images: { keepImages: config.getNumber('keepImages') ?? 10, imageTag: config.get('imageTag') || undefined },
    logging: { retentionDays: logRetentionDays, alarmEmail: config.get('alarmEmail') || undefined },
    retraining: {
      schedule: config.get('retrainSchedule') ?? MONTHLY,
      minAuc: config.getNumber('retrainMinAuc') ?? 0.7,
      maxDrop: config.getNumber('retrainMaxDrop') ?? 0.01,
      stage: retrainStage,
      task: readRetrainingTask(config),
    },
    bookScoring: readBookScoring(config),
  };
}

const BOOK_REASONS = ['none', 'declines', 'all'] as const;

/** The book-scoring fan-out: parts at once, retries with backoff, the failures tolerated, one part's task. */
function readBookScoring(config: pulumi.Config): BookScoringSettings {
  const reasons = config.get('bookReasons') ?? 'declines';
  if (!(BOOK_REASONS as readonly string[]).includes(reasons))
    throw new Error(`bookReasons must be one of ${BOOK_REASONS.join(', ')}, got '${reasons}'`);
  const backoffRate = config.getNumber('bookRetryBackoffRate') ?? 2;
  if (!(backoffRate >= 1 && backoffRate <= 10))
    throw new Error(`bookRetryBackoffRate must be from 1 to 10, got ${backoffRate}`);
  return {
    maxConcurrency: integerSetting(config, 'bookMaxConcurrency', 10, 1, 1000),
    toleratedFailurePercentage: integerSetting(config, 'bookToleratedFailurePercent', 0, 0, 100),
    retry: {
      maxAttempts: integerSetting(config, 'bookRetryAttempts', 2, 0, 10),
      intervalSeconds: integerSetting(config, 'bookRetryIntervalS', 30, 1, 3600),
      backoffRate,
    },
    partTimeoutSeconds: integerSetting(config, 'bookPartTimeoutS', 3600, 60, 86_400),
    reasons: reasons as BookScoringSettings['reasons'],
    task: fargateSize(config, 'bookCpu', 'bookMemory', 1024, 2048),
  };
}

/** Fargate's ephemeral storage: 21 GiB by default, up to 200. */
export const FARGATE_EPHEMERAL_GIB = { min: 21, max: 200 } as const;

/** An integer config value within a range, or its default. */
function integerSetting(config: pulumi.Config, key: string, fallback: number, min: number, max: number): number {
  const value = config.getNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${key} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

/** A CPU and memory pair Fargate offers, refused otherwise with the sizes it does offer. */
function fargateSize(config: pulumi.Config, cpuKey: string, memoryKey: string, cpu: number, memory: number) {
  const taskCpu = integerSetting(config, cpuKey, cpu, 256, 2048);
  const taskMemory = integerSetting(config, memoryKey, memory, 512, 16384);
  if (!FARGATE_SIZES[taskCpu]?.includes(taskMemory)) {
    throw new Error(
      `${cpuKey} ${taskCpu} with ${memoryKey} ${taskMemory} is not a Fargate size (${Object.entries(FARGATE_SIZES)
        .map(([c, m]) => `${c}: ${m.join('/')}`)
        .join('; ')})`,
    );
  }
  return { cpu: taskCpu, memory: taskMemory };
}

/** The monthly task: 1 vCPU and 2 GiB by default (the loop's data work peaks near 0.6 GB at 3 million records). */
function readRetrainingTask(config: pulumi.Config): StackSettings['retraining']['task'] {
  return {
    ...fargateSize(config, 'retrainCpu', 'retrainMemory', 1024, 2048),
    ephemeralGiB: integerSetting(
      config,
      'retrainEphemeralGiB',
      21,
      FARGATE_EPHEMERAL_GIB.min,
      FARGATE_EPHEMERAL_GIB.max,
    ),
  };
}

/** `vpcId` with `subnetIds` (comma-separated), or neither: the default VPC. */
function readVpcSettings(config: pulumi.Config): Pick<NetworkSettings, 'vpcId' | 'subnetIds'> {
  const vpcId = config.get('vpcId') || undefined;
  const subnetIds = config
    .get('subnetIds')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if ((vpcId === undefined) !== (subnetIds === undefined || subnetIds.length === 0)) {
    throw new Error(
      'vpcId and subnetIds go together: set both to deploy into an existing VPC, or neither for the default VPC',
    );
  }
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    throw new Error(`vpcId must be a VPC id such as vpc-0123456789abcdef0, got '${vpcId}'`);
  const bad = subnetIds?.find((id) => !/^subnet-[0-9a-f]{8,17}$/.test(id));
  if (bad !== undefined) throw new Error(`subnetIds must be subnet ids such as subnet-0123456789abcdef0, got '${bad}'`);
  return { vpcId, subnetIds: vpcId === undefined ? undefined : subnetIds };
}

/** certificateArn and domainName together (and hostedZoneId with them), the certificate from the stack's region. */
function readHttpsSettings(config: pulumi.Config, region: string | undefined): FleetSettings['https'] {
  const certificateArn = config.get('certificateArn') || undefined;
  const domainName = config.get('domainName') || undefined;
  const hostedZoneId = config.get('hostedZoneId') || undefined;
  if (certificateArn === undefined) {
    if (domainName !== undefined || hostedZoneId !== undefined)
      throw new Error('domainName and hostedZoneId need certificateArn: they name the HTTPS endpoint');
    return undefined;
  }
  const arn = /^arn:aws[\w-]*:acm:([\w-]+):\d{12}:certificate\/[\w-]+$/.exec(certificateArn);
  if (!arn) throw new Error(`certificateArn must be an ACM certificate ARN, got '${certificateArn}'`);
  // ACM certificates are regional: the listener would fail at create with one from elsewhere.
  if (region !== undefined && arn[1] !== region)
    throw new Error(
      `certificateArn is in ${arn[1]}, but the stack deploys to ${region}: an ALB takes a certificate from its own region only`,
    );
  if (domainName === undefined) {
    throw new Error(
      "certificateArn needs domainName: the name the certificate covers, which clients call (it never covers the balancer's elb.amazonaws.com name)",
    );
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domainName))
    throw new Error(`domainName must be a DNS name such as api.example.com, got '${domainName}'`);
  if (hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId))
    throw new Error(`hostedZoneId must be a Route 53 hosted zone id such as Z0123456789ABC, got '${hostedZoneId}'`);
  return { certificateArn, domainName: domainName.toLowerCase(), hostedZoneId };
}

function readFleetSettings(config: pulumi.Config, region: string | undefined): FleetSettings {
  const number = (key: string, fallback: number, min: number, max: number) =>
    integerSetting(config, key, fallback, min, max);
  // Two tasks at least: one per availability zone, so a zone or a task can fail without an outage.
  const minTasks = number('minTasks', 2, 2, 100);
  const maxTasks = number('maxTasks', 10, 2, 100);
  if (maxTasks < minTasks) throw new Error(`maxTasks (${maxTasks}) must be at least minTasks (${minTasks})`);
  const { cpu: taskCpu, memory: taskMemory } = fargateSize(config, 'taskCpu', 'taskMemory', 512, 1024);
  return {
    minTasks,
    maxTasks,
    taskCpu,
    taskMemory,
    https: readHttpsSettings(config, region),
    // AWS WAF's rate-based rules accept 10 to 2,000,000,000 requests per window.
    wafRequestsPer5Min: number('wafRequestsPer5Min', 30_000, 10, 2_000_000_000),
    requestsPerTaskPerMinute: number('requestsPerTaskPerMinute', 60_000, 1, 10_000_000),
    cpuTargetPercent: number('cpuTargetPercent', 60, 10, 90),
    redisNodeType: config.get('redisNodeType') ?? 'cache.t3.micro',
    p99AlarmMs: number('p99AlarmMs', 500, 1, 60_000),
  };
}
