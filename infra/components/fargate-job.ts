import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ecrPullStatements, ecsTaskRole, HTTPS_EGRESS_ONLY, RoleWithPolicy, writeLogsStatement } from './iam.js';
import type { NetworkPlacement } from './network.js';
import type { ContainerImage } from './registry.js';

export interface FargateJobArgs {
  image: ContainerImage;
  network: NetworkPlacement;
  logGroup: aws.cloudwatch.LogGroup;
  /** The task definition's family and the container's name, and its log stream prefix. */
  family: string;
  container: string;
  /** What the task's own code may do (its S3 prefixes, the model). */
  statements: pulumi.Input<pulumi.Input<Record<string, unknown>>[]>;
  /** The container's command or entry point, and environment besides AWS_REGION. */
  command?: pulumi.Input<string[]>;
  entryPoint?: string[];
  environment?: pulumi.Input<{ name: string; value: string }[]>;
  /** CPU units, MiB, and GiB of ephemeral disk when more than Fargate's 21. */
  size: { cpu: number; memory: number; ephemeralGiB?: number };
  /** What the security group says it is for. */
  description: string;
  tags: Record<string, string>;
}

export interface FargateJob {
  executionRole: RoleWithPolicy;
  taskRole: RoleWithPolicy;
  taskDefinition: aws.ecs.TaskDefinition;
  securityGroup: aws.ec2.SecurityGroup;
}

/**
 * A batch job's Fargate task: its execution role (pull this image, write this log group), its task role (the
 * statements given), the task definition with one container logging to the group, and a security group with no
 * ingress and HTTPS out. Resources are named `<prefix>-execution`, `<prefix>-task` and `<prefix>-task-sg`.
 */
export function fargateJob(prefix: string, args: FargateJobArgs, parent: pulumi.Resource): FargateJob {
  const opts = { parent };
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  const executionRole = ecsTaskRole(
    `${prefix}-execution`,
    {
      account,
      statements: [...ecrPullStatements(args.image.repository.arn), writeLogsStatement([args.logGroup.arn])],
      tags: args.tags,
    },
    parent,
  );
  const taskRole = ecsTaskRole(`${prefix}-task`, { account, tags: args.tags, statements: args.statements }, parent);
  const containerDefinitions = pulumi
    .all([args.image.ref, args.logGroup.name, region, args.command, args.environment])
    .apply(([image, logGroup, regionName, command, environment]) =>
      JSON.stringify([
        {
          name: args.container,
          image,
          essential: true,
          ...(args.entryPoint ? { entryPoint: args.entryPoint } : {}),
          ...(command ? { command } : {}),
          environment: [{ name: 'AWS_REGION', value: regionName }, ...(environment ?? [])],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroup,
              'awslogs-region': regionName,
              'awslogs-stream-prefix': args.container,
              mode: 'non-blocking',
            },
          },
        },
      ]),
    );
  const ephemeralGiB = args.size.ephemeralGiB ?? 21;
  const taskDefinition = new aws.ecs.TaskDefinition(
    `${prefix}-task`,
    {
      family: args.family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(args.size.cpu),
      memory: String(args.size.memory),
      // Fargate gives 21 GiB unasked; more is asked for only when configured.
      ...(ephemeralGiB > 21 ? { ephemeralStorage: { sizeInGib: ephemeralGiB } } : {}),
      executionRoleArn: executionRole.role.arn,
      taskRoleArn: taskRole.role.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      containerDefinitions,
      tags: args.tags,
    },
    opts,
  );
  const securityGroup = new aws.ec2.SecurityGroup(
    `${prefix}-task-sg`,
    {
      vpcId: args.network.vpcId,
      description: args.description,
      ingress: [],
      egress: HTTPS_EGRESS_ONLY,
      tags: args.tags,
    },
    opts,
  );
  return { executionRole, taskRole, taskDefinition, securityGroup };
}
