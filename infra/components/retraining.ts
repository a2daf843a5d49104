import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { FargateJob, fargateJob } from './fargate-job.js';
import { assumeRolePolicy, runTaskStatements } from './iam.js';
import { PrivateBucket } from './private-bucket.js';
import type { NetworkPlacement } from './network.js';
import type { ContainerImage } from './registry.js';

export interface RetrainingArgs {
  image: ContainerImage;
  /** Where the task runs (it needs HTTPS out to ECR, S3 and CloudWatch: public IPs or a NAT in those subnets). */
  network: NetworkPlacement;
  /** Read: predictions, outcomes; written: snapshots and reports. */
  dataBucket: PrivateBucket;
  /** Written: new versions and the channel of modelName. */
  modelsBucket: PrivateBucket;
  modelName: string;
  logGroup: aws.cloudwatch.LogGroup;
  /** When it runs and what a candidate must reach to be promoted. */
  run: {
    /** EventBridge Scheduler expression; monthly by default. */
    schedule: string;
    minAuc: number;
    maxDrop: number;
    /** Where a candidate that passes goes: production, or the shadow channel to be watched first. */
    stage: 'production' | 'shadow';
    /** The task's CPU units, MiB and GiB of ephemeral disk (a Fargate combination; infra/config.ts checks it). */
    task: { cpu: number; memory: number; ephemeralGiB: number };
  };
  /** Where a failed run is reported (the alarm topic, which lets this account's EventBridge rules publish). */
  alarmTopic: aws.sns.Topic;
  tags: Record<string, string>;
}

/** Exit codes of a run that did its job: 0 promoted, 3 rejected (see jobs/retrain.ts). */
export const RETRAINING_SUCCESS_EXIT_CODES = [0, 3];

/** Where the loan system drops the month's outcomes (application_id, loan_paid_back, observed_at). */
export const OUTCOMES_KEY = 'outcomes/latest.csv';

/**
 * The monthly retraining job: an EventBridge schedule runs the retraining image as a Fargate task, which
 * joins captured predictions with outcomes, snapshots, trains, evaluates and promotes (or not). Its own
 * roles keep it apart from the service: only this task may write snapshots and move the model channel;
 * the service's instance can still only read models and write predictions.
 */
export class Retraining extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  /** The task's roles, definition and security group. */
  readonly job: FargateJob;
  readonly schedule: aws.scheduler.Schedule;
  readonly failureRule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RetrainingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:retraining:Retraining', name, {}, opts);
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;

    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, { tags: args.tags }, parent);

    const job = (this.job = fargateJob(
      name,
      {
        image: args.image,
        network: args.network,
        logGroup: args.logGroup,
        family: `${name}-retraining`,
        container: 'retraining',
        statements: [
          {
            Sid: 'ListData',
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: [args.dataBucket.arn],
            Condition: {
              StringLike: {
                's3:prefix': ['predictions/*', 'applications/*', 'snapshots/*', 'retraining/*', 'outcomes/*'],
              },
            },
          },
          {
            Sid: 'ReadData',
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: ['predictions/*', 'applications/*', 'snapshots/*', 'outcomes/*'].map(
              (p) => pulumi.interpolate`${args.dataBucket.arn}/${p}`,
            ),
          },
          {
            // The compacted log (applications/ and its ledger), snapshots and the run's reports.
            Sid: 'WriteTablesAndReports',
            Effect: 'Allow',
            Action: ['s3:PutObject'],
            Resource: ['applications/*', 'snapshots/*', 'retraining/*'].map(
              (p) => pulumi.interpolate`${args.dataBucket.arn}/${p}`,
            ),
          },
          { Sid: 'ListModels', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [args.modelsBucket.arn] },
          {
            Sid: 'ReadModels',
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [pulumi.interpolate`${args.modelsBucket.arn}/${args.modelName}/*`],
          },
          {
            Sid: 'PublishAndPromote',
            Effect: 'Allow',
            Action: ['s3:PutObject'],
            Resource: ['versions/*', 'channels/*'].map(
              (p) => pulumi.interpolate`${args.modelsBucket.arn}/${args.modelName}/${p}`,
            ),
          },
        ],
        command: pulumi
          .all([args.dataBucket.name, args.modelsBucket.name])
          .apply(([dataBucket, modelsBucket]) => [
            '--store',
            `s3://${modelsBucket}`,
            '--data-root',
            `s3://${dataBucket}`,
            '--outcomes',
            `s3://${dataBucket}/${OUTCOMES_KEY}`,
            '--name',
            args.modelName,
            '--min-auc',
            String(args.run.minAuc),
            '--max-drop',
            String(args.run.maxDrop),
            '--stage',
            args.run.stage,
          ]),
        size: args.run.task,
        description: 'Retraining task: no ingress; HTTPS out to ECR, S3 and CloudWatch',
        tags: args.tags,
      },
      this,
    ));

    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler`,
      { assumeRolePolicy: assumeRolePolicy('scheduler.amazonaws.com', account), tags: args.tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler`,
      {
        role: schedulerRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [...runTaskStatements(job, this.cluster, { run: 'RunRetrainingTask', pass: 'PassTaskRoles' })],
        }),
      },
      parent,
    );
    this.schedule = new aws.scheduler.Schedule(
      `${name}-monthly`,
      {
        description: 'Monthly retraining of the loan default model',
        scheduleExpression: args.run.schedule,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: this.cluster.arn,
          roleArn: schedulerRole.arn,
          ecsParameters: {
            taskDefinitionArn: job.taskDefinition.arn,
            launchType: 'FARGATE',
            taskCount: 1,
            networkConfiguration: {
              subnets: args.network.subnetIds,
              securityGroups: [job.securityGroup.id],
              assignPublicIp: true,
            },
          },
          retryPolicy: { maximumRetryAttempts: 0 },
        },
      },
      parent,
    );
    // A run that fails (any other exit code) or never starts (an image that cannot be pulled) notifies the alarm
    // topic: the schedule retries nothing and its failures would otherwise be seen by nobody.
    this.failureRule = new aws.cloudwatch.EventRule(
      `${name}-failed`,
      {
        description: 'The retraining task stopped with a failure',
        eventPattern: pulumi.jsonStringify({
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: {
            clusterArn: [this.cluster.arn],
            lastStatus: ['STOPPED'],
            $or: [
              { containers: { exitCode: [{ 'anything-but': RETRAINING_SUCCESS_EXIT_CODES }] } },
              { stopCode: ['TaskFailedToStart'] },
            ],
          },
        }),
        tags: args.tags,
      },
      parent,
    );
    new aws.cloudwatch.EventTarget(`${name}-failed`, { rule: this.failureRule.name, arn: args.alarmTopic.arn }, parent);
    this.registerOutputs({
      cluster: this.cluster.name,
      taskDefinition: job.taskDefinition.arn,
      schedule: this.schedule.name,
    });
  }
}
