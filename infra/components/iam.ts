import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** IAM pieces that several components grant the same way. */

/**
 * A role a service assumes. With `account`, only on behalf of that account (aws:SourceAccount), which closes the
 * confused-deputy path for services acting for many accounts (ECS tasks, EventBridge Scheduler). EC2 assumes
 * an instance role for the instance itself and is given no such condition.
 */
export const assumeRolePolicy = (service: string, account?: pulumi.Input<string>) =>
  pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(account ? { Condition: { StringEquals: { 'aws:SourceAccount': account } } } : {}),
      },
    ],
  });

/** Pull images from one repository (the token call is account-wide: AWS grants it only on "*"). */
export const ecrPullStatements = (repositoryArn: pulumi.Input<string>) => [
  { Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
  {
    Sid: 'PullImage',
    Effect: 'Allow',
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
    Resource: [repositoryArn],
  },
];

/** Write log events to these log groups only. */
export const writeLogsStatement = (logGroupArns: pulumi.Input<string>[]) => ({
  Sid: 'WriteLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
  Resource: logGroupArns.map((arn) => pulumi.interpolate`${arn}:*`),
});

/**
 * Running one ECS task definition (any revision) on one cluster, and passing its two roles to ECS only: what a
 * scheduler or a state machine that starts a job's tasks needs, and nothing more.
 */
export const runTaskStatements = (
  task: { taskDefinition: aws.ecs.TaskDefinition; executionRole: RoleWithPolicy; taskRole: RoleWithPolicy },
  cluster: aws.ecs.Cluster,
  sids: { run: string; pass: string },
) => [
  {
    Sid: sids.run,
    Effect: 'Allow',
    Action: ['ecs:RunTask'],
    Resource: [pulumi.interpolate`${task.taskDefinition.arnWithoutRevision}:*`],
    Condition: { ArnLike: { 'ecs:cluster': cluster.arn } },
  },
  {
    Sid: sids.pass,
    Effect: 'Allow',
    Action: ['iam:PassRole'],
    Resource: [task.executionRole.role.arn, task.taskRole.role.arn],
    Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  },
];

/** Security group egress: HTTPS only (ECR, S3, SSM, CloudWatch and the package mirrors all use it). */
export const HTTPS_EGRESS_ONLY = [
  { description: 'HTTPS to AWS APIs', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] },
];

/** A role with its inline policy: what uses the role must wait for the policy too, or it starts without rights. */
export interface RoleWithPolicy {
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
}

/** An ECS task's role (ECS itself or the task's code), assumable for this account only, with one inline policy. */
export function ecsTaskRole(
  name: string,
  args: {
    account: pulumi.Input<string>;
    statements: pulumi.Input<pulumi.Input<Record<string, unknown>>[]>;
    tags: Record<string, string>;
  },
  parent: pulumi.Resource,
): RoleWithPolicy {
  const role = new aws.iam.Role(
    name,
    { assumeRolePolicy: assumeRolePolicy('ecs-tasks.amazonaws.com', args.account), tags: args.tags },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    name,
    { role: role.id, policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: args.statements }) },
    { parent },
  );
  return { role, policy };
}
