import * as pulumi from '@pulumi/pulumi';

/** IAM pieces that several components grant the same way. */

export const assumeRolePolicy = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

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

/** Security group egress: HTTPS only (ECR, S3, SSM, CloudWatch and the package mirrors all use it). */
export const HTTPS_EGRESS_ONLY = [{ description: 'HTTPS to AWS APIs', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] }];
