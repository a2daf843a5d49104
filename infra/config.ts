import * as pulumi from '@pulumi/pulumi';

/**
 * The stack's settings, read once from Pulumi config (see Pulumi.dev.yaml) and checked, in sections by the
 * component they configure (the Pulumi config keys stay flat: `pulumi config set instanceType t3.small`).
 */
export interface StackSettings {
  project: string;
  stack: string;
  modelName: string;
  network: { instanceType: string; allowedCidr: string; servicePort: number };
  storage: { forceDestroyBuckets: boolean; noncurrentVersionDays: number; predictionsInfrequentAccessDays: number };
  /** keepImages per repository; imageTag overrides the content-hash tag (e.g. a git sha). */
  images: { keepImages: number; imageTag: string | undefined };
  logging: { retentionDays: number; alarmEmail: string | undefined };
  /** EventBridge Scheduler expression for retraining, and its promotion gate. */
  retraining: { schedule: string; minAuc: number; maxDrop: number; stage: 'production' | 'shadow' };
  /** `single`: one free-tier EC2 instance. `fleet`: ECS Fargate tasks behind an ALB (the fleet section applies). */
  deployment: 'single' | 'fleet';
  fleet: FleetSettings;
}

export interface FleetSettings {
  minTasks: number;
  maxTasks: number;
  /** Fargate task size: CPU units (1024 = 1 vCPU) and MiB. */
  taskCpu: number;
  taskMemory: number;
  /** An ACM certificate for HTTPS on 443; without one the ALB listens on HTTP 80 and the outputs warn. */
  certificateArn: string | undefined;
  /** The WAF's limit per client IP over any 5 minutes. */
  wafRequestsPer5Min: number;
  /** Autoscaling targets: ALB requests per task per minute, and average CPU percent. */
  requestsPerTaskPerMinute: number;
  cpuTargetPercent: number;
  /** ElastiCache node for the shared rate-limit counters (free-tier types: cache.t2.micro, cache.t3.micro, cache.t4g.micro). */
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
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/** The widest network allowed to reach the service: a /7 or wider is most of the internet. */
export const MIN_CIDR_PREFIX = 8;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function readSettings(config = new pulumi.Config()): StackSettings {
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
  if (retrainStage !== 'production' && retrainStage !== 'shadow') throw new Error(`retrainStage must be production or shadow, got '${retrainStage}'`);
  const deployment = config.get('deployment') ?? 'single';
  if (deployment !== 'single' && deployment !== 'fleet') throw new Error(`deployment must be single or fleet, got '${deployment}'`);
  return {
    deployment,
    fleet: readFleetSettings(config),
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    modelName: config.get('modelName') ?? 'loan-default',
    network: { instanceType, allowedCidr, servicePort },
    storage: {
      forceDestroyBuckets: config.getBoolean('forceDestroyBuckets') ?? false,
      noncurrentVersionDays: config.getNumber('noncurrentVersionDays') ?? 90,
      predictionsInfrequentAccessDays: config.getNumber('predictionsInfrequentAccessDays') ?? 30,
    },
    images: { keepImages: config.getNumber('keepImages') ?? 10, imageTag: config.get('imageTag') || undefined },
    logging: { retentionDays: logRetentionDays, alarmEmail: config.get('alarmEmail') || undefined },
    retraining: {
      schedule: config.get('retrainSchedule') ?? MONTHLY,
      minAuc: config.getNumber('retrainMinAuc') ?? 0.7,
      maxDrop: config.getNumber('retrainMaxDrop') ?? 0.01,
      stage: retrainStage,
    },
  };
}

function readFleetSettings(config: pulumi.Config): FleetSettings {
  const number = (key: string, fallback: number, min: number, max: number) => {
    const value = config.getNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${key} must be an integer from ${min} to ${max}, got ${value}`);
    return value;
  };
  // Two tasks at least: one per availability zone, so a zone or a task can fail without an outage.
  const minTasks = number('minTasks', 2, 2, 100);
  const maxTasks = number('maxTasks', 10, 2, 100);
  if (maxTasks < minTasks) throw new Error(`maxTasks (${maxTasks}) must be at least minTasks (${minTasks})`);
  const taskCpu = number('taskCpu', 512, 256, 2048);
  const taskMemory = number('taskMemory', 1024, 512, 16384);
  if (!FARGATE_SIZES[taskCpu]?.includes(taskMemory)) {
    throw new Error(`taskCpu ${taskCpu} with taskMemory ${taskMemory} is not a Fargate size (${Object.entries(FARGATE_SIZES).map(([c, m]) => `${c}: ${m.join('/')}`).join('; ')})`);
  }
  const certificateArn = config.get('certificateArn') || undefined;
  if (certificateArn !== undefined && !/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new Error(`certificateArn must be an ACM certificate ARN, got '${certificateArn}'`);
  }
  return {
    minTasks,
    maxTasks,
    taskCpu,
    taskMemory,
    certificateArn,
    // AWS WAF's rate-based rules accept 10 to 2,000,000,000 requests per window.
    wafRequestsPer5Min: number('wafRequestsPer5Min', 30_000, 10, 2_000_000_000),
    requestsPerTaskPerMinute: number('requestsPerTaskPerMinute', 60_000, 1, 10_000_000),
    cpuTargetPercent: number('cpuTargetPercent', 60, 10, 90),
    redisNodeType: config.get('redisNodeType') ?? 'cache.t3.micro',
    p99AlarmMs: number('p99AlarmMs', 500, 1, 60_000),
  };
}
