import * as pulumi from '@pulumi/pulumi';

/** The stack's settings, read once from Pulumi config (see Pulumi.dev.yaml) and checked. */
/**
 * The stack's settings, in sections by the component they configure (the Pulumi config keys stay flat:
 * `pulumi config set instanceType t3.small`). A fleet mode adds its own section.
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
}

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
  return {
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
