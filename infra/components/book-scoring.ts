import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { notifyingAlarm } from './alarm.js';
import { BOOK_CONTAINER, BOOKS_PREFIX, bookScoringDefinition, BOOK_INPUTS_PREFIX } from './book-scoring-definition.js';
import { FargateJob, fargateJob } from './fargate-job.js';
import { assumeRolePolicy, runTaskStatements } from './iam.js';
import type { NetworkPlacement } from './network.js';
import type { PrivateBucket } from './private-bucket.js';
import type { ContainerImage } from './registry.js';

export interface BookScoringSettings {
  /** Parts scored at once. */
  maxConcurrency: number;
  /** The share of parts (percent) that may fail after their retries with the run still writing its manifest. */
  toleratedFailurePercentage: number;
  retry: { maxAttempts: number; intervalSeconds: number; backoffRate: number };
  /** How long one part's task may run. */
  partTimeoutSeconds: number;
  /** What each decline carries: none, declines or all (score-book --reasons). */
  reasons: 'none' | 'declines' | 'all';
  /** One part's Fargate task: CPU units and MiB (a worker stays under 512 MB; 1 vCPU / 2 GiB leaves room). */
  task: { cpu: number; memory: number };
}

export interface BookScoringArgs {
  /** The job image (the retraining image holds jobs/ and the scoring code); its entry point is overridden. */
  image: ContainerImage;
  cluster: aws.ecs.Cluster;
  network: NetworkPlacement;
  /** Read: book-inputs/; written: books/. */
  dataBucket: PrivateBucket;
  /** Read: the model's versions and channels. */
  modelsBucket: PrivateBucket;
  modelName: string;
  logGroup: aws.cloudwatch.LogGroup;
  alarmTopic: aws.sns.Topic;
  run: BookScoringSettings;
  tags: Record<string, string>;
}

/**
 * Scoring a whole loan book on AWS: a Step Functions state machine whose Distributed Map lists the parts under
 * `book-inputs/<book>/` and runs one Fargate task per part (the job image with `score-book`, `.sync`), with the
 * concurrency, retries and tolerated failures from config, then one task that writes the manifest. Its role may run
 * only this task definition and pass only its two roles; the task reads only `book-inputs/` and the model, and
 * writes only `books/` (the data root's scored books). A failed execution alarms.
 */
export class BookScoring extends pulumi.ComponentResource {
  readonly stateMachine: aws.sfn.StateMachine;
  /** The task's roles, definition and security group. */
  readonly job: FargateJob;
  readonly stateMachineRole: aws.iam.Role;
  readonly failedAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: BookScoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:book-scoring:BookScoring', name, {}, opts);
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const partition = aws.getPartitionOutput({}, parent).partition;

    const job = (this.job = fargateJob(
      `${name}-book`,
      {
        image: args.image,
        network: args.network,
        logGroup: args.logGroup,
        family: `${name}-score-book`,
        container: BOOK_CONTAINER,
        statements: [
          {
            Sid: 'ListBooksAndScores',
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: [args.dataBucket.arn],
            Condition: { StringLike: { 's3:prefix': [`${BOOK_INPUTS_PREFIX}*`, `${BOOKS_PREFIX}*`] } },
          },
          {
            Sid: 'ReadBooks',
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [pulumi.interpolate`${args.dataBucket.arn}/${BOOK_INPUTS_PREFIX}*`],
          },
          {
            // The parts' records are read back: a re-run skips what is complete, the last task sums them.
            Sid: 'WriteAndReadScores',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject'],
            Resource: [pulumi.interpolate`${args.dataBucket.arn}/${BOOKS_PREFIX}*`],
          },
          { Sid: 'ListModels', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [args.modelsBucket.arn] },
          {
            Sid: 'ReadModel',
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [pulumi.interpolate`${args.modelsBucket.arn}/${args.modelName}/*`],
          },
        ],
        entryPoint: ['/opt/tsx/node_modules/.bin/tsx', 'jobs/score-book.ts'],
        environment: args.modelsBucket.name.apply((bucket) => [{ name: 'MODEL_STORE', value: `s3://${bucket}` }]),
        size: args.run.task,
        description: 'Book scoring tasks: no ingress; HTTPS out to ECR, S3 and CloudWatch',
        tags: args.tags,
      },
      this,
    ));

    // Named, so that the role can name the executions its Distributed Map starts before the machine exists.
    const stateMachineName = `${name}-score-book`;
    const stateMachineArn = pulumi.interpolate`arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName}`;
    this.stateMachineRole = new aws.iam.Role(
      `${name}-book-states`,
      { assumeRolePolicy: assumeRolePolicy('states.amazonaws.com', account), tags: args.tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-book-states`,
      {
        role: this.stateMachineRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            ...runTaskStatements(job, args.cluster, { run: 'RunTheScoringTask', pass: 'PassTheTaskRoles' }),
            {
              // .sync waits on the task: it describes it, and stops it when the state times out.
              Sid: 'FollowTheScoringTasks',
              Effect: 'Allow',
              Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
              Resource: [pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:task/${args.cluster.name}/*`],
            },
            {
              // The rule Step Functions manages to hear of ECS tasks ending (.sync).
              Sid: 'SyncRule',
              Effect: 'Allow',
              Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
              Resource: [
                pulumi.interpolate`arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForECSTaskRule`,
              ],
            },
            {
              Sid: 'ListTheBook',
              Effect: 'Allow',
              Action: ['s3:ListBucket'],
              Resource: [args.dataBucket.arn],
              Condition: { StringLike: { 's3:prefix': [`${BOOK_INPUTS_PREFIX}*`] } },
            },
            {
              Sid: 'WriteTheMapResults',
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
              Resource: [pulumi.interpolate`${args.dataBucket.arn}/${BOOKS_PREFIX}*`],
            },
            {
              // The Distributed Map runs each item as a child execution of this state machine.
              Sid: 'RunTheMapsChildren',
              Effect: 'Allow',
              Action: ['states:StartExecution'],
              Resource: [stateMachineArn],
            },
            {
              Sid: 'FollowTheMapsChildren',
              Effect: 'Allow',
              Action: ['states:DescribeExecution', 'states:StopExecution'],
              Resource: [
                pulumi.interpolate`arn:${partition}:states:${region}:${account}:execution:${stateMachineName}/*`,
              ],
            },
          ],
        }),
      },
      parent,
    );

    const definition = pulumi
      .all([
        args.dataBucket.name,
        args.cluster.arn,
        job.taskDefinition.arn,
        args.network.subnetIds,
        job.securityGroup.id,
      ])
      .apply(([bucket, clusterArn, taskDefinitionArn, subnetIds, securityGroupId]) =>
        JSON.stringify(
          bookScoringDefinition({
            bucket,
            clusterArn,
            taskDefinitionArn,
            subnetIds,
            securityGroupIds: [securityGroupId],
            maxConcurrency: args.run.maxConcurrency,
            toleratedFailurePercentage: args.run.toleratedFailurePercentage,
            retry: args.run.retry,
            partTimeoutSeconds: args.run.partTimeoutSeconds,
            options: ['--name', args.modelName, '--reasons', args.run.reasons],
          }),
        ),
      );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-score-book`,
      { name: stateMachineName, roleArn: this.stateMachineRole.arn, definition, type: 'STANDARD', tags: args.tags },
      parent,
    );
    this.failedAlarm = notifyingAlarm(
      `${name}-score-book-failed`,
      {
        topic: args.alarmTopic,
        alarmDescription: 'A book scoring execution failed: see the execution in the Step Functions console',
        namespace: 'AWS/States',
        metricName: 'ExecutionsFailed',
        dimensions: { StateMachineArn: this.stateMachine.arn },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        tags: args.tags,
      },
      this,
    );
    this.registerOutputs({ stateMachine: this.stateMachine.arn });
  }
}
