import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicy, ecrPullStatements, HTTPS_EGRESS_ONLY, writeLogsStatement } from './iam.js';
import { PrivateBucket } from './private-bucket.js';
import type { NetworkPlacement } from './network.js';
import type { ContainerImage } from './registry.js';
import { serviceDataStatements, serviceParameters, ServiceSecrets } from './service-access.js';
import { renderServiceUserData } from './user-data.js';
import { SESSION_MANAGER_ACTIONS } from '../policy/rules.js';

export interface ComputeArgs {
  /** The VPC and subnets it runs in. */
  network: NetworkPlacement;
  /** Where the service listens and who may reach it. */
  listen: { instanceType: string; allowedCidr: string; servicePort: number; containerPort: number };
  image: ContainerImage;
  /** Read: the model store. */
  modelsBucket: PrivateBucket;
  /** Written, under predictionsPrefix only: the prediction log. */
  dataBucket: PrivateBucket;
  predictionsPrefix: string;
  modelName: string;
  logGroup: aws.cloudwatch.LogGroup;
  /** Kept as SecureString parameters the instance reads at boot. */
  secrets: ServiceSecrets;
  pollIntervalS: number;
  tags: Record<string, string>;
}

/** The public SSM parameter AWS keeps pointing at the newest Amazon Linux 2023 AMI. */
export const AL2023_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/**
 * The instance that runs the service: a least-privilege role (pull this image, read the models bucket,
 * write predictions only, write our log groups, read our parameter, SSM Session Manager instead of SSH),
 * a security group that opens only the service port to the configured network, IMDSv2 only, an encrypted
 * gp3 root volume, and user data that runs the container. New user data (a new image) replaces the instance.
 */
export class Compute extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly instance: aws.ec2.Instance;
  /** The service's fixed address: it outlives the instance, so a replaced instance keeps the same URL. */
  readonly address: aws.ec2.Eip;
  readonly adminTokenParameter: aws.ssm.Parameter;
  readonly apiKeysParameter: aws.ssm.Parameter;
  readonly metricsTokenParameter: aws.ssm.Parameter | undefined;
  readonly reviewerTokensParameter: aws.ssm.Parameter | undefined;

  constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:compute:Compute', name, {}, opts);
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent).region;

    const parameters = serviceParameters(name, args.secrets, args.tags, this);
    this.adminTokenParameter = parameters.adminToken;
    this.apiKeysParameter = parameters.apiKeys;
    this.metricsTokenParameter = parameters.metricsToken;
    this.reviewerTokensParameter = parameters.reviewerTokens;

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'),
        tags: args.tags,
      },
      parent,
    );
    const servicePolicy = new aws.iam.RolePolicy(
      `${name}-service`,
      {
        role: this.role.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            ...ecrPullStatements(args.image.repository.arn),
            ...serviceDataStatements(args.modelsBucket, args.dataBucket, args.predictionsPrefix),
            writeLogsStatement([args.logGroup.arn]),
            {
              Sid: 'ReadSecrets',
              Effect: 'Allow',
              Action: ['ssm:GetParameter'],
              Resource: [
                this.adminTokenParameter.arn,
                this.apiKeysParameter.arn,
                ...(this.metricsTokenParameter ? [this.metricsTokenParameter.arn] : []),
                ...(this.reviewerTokensParameter ? [this.reviewerTokensParameter.arn] : []),
              ],
            },
            // Shell access through Session Manager: only its channel actions. AmazonSSMManagedInstanceCore would
            // also let the internet-facing container read every SSM parameter in the account.
            { Sid: 'SessionManager', Effect: 'Allow', Action: SESSION_MANAGER_ACTIONS, Resource: ['*'] },
          ],
        }),
      },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: this.role.name, tags: args.tags }, parent);

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.network.vpcId,
        description: 'Loan default service: the service port from the allowed network only; no SSH',
        ingress: [
          {
            description: 'service',
            protocol: 'tcp',
            fromPort: args.listen.servicePort,
            toPort: args.listen.servicePort,
            cidrBlocks: [args.listen.allowedCidr],
          },
        ],
        egress: HTTPS_EGRESS_ONLY,
        tags: args.tags,
      },
      parent,
    );

    const ami = aws.ssm.getParameterOutput({ name: AL2023_AMI_PARAMETER }, parent);
    const userData = pulumi
      .all([
        region,
        args.image.ref,
        args.image.repository.repositoryUrl,
        args.modelsBucket.name,
        args.dataBucket.name,
        args.logGroup.name,
        this.adminTokenParameter.name,
        this.apiKeysParameter.name,
        this.metricsTokenParameter ? this.metricsTokenParameter.name : '',
        this.reviewerTokensParameter ? this.reviewerTokensParameter.name : '',
      ])
      .apply(
        ([
          regionName,
          imageRef,
          repositoryUrl,
          modelsBucket,
          dataBucket,
          logGroup,
          parameter,
          apiKeysParameter,
          metricsTokenParameter,
          reviewerTokensParameter,
        ]) =>
          renderServiceUserData({
            region: regionName,
            imageRef,
            registryHost: repositoryUrl.split('/')[0],
            servicePort: args.listen.servicePort,
            containerPort: args.listen.containerPort,
            modelStore: `s3://${modelsBucket}`,
            modelName: args.modelName,
            predictionLog: `s3://${dataBucket}/${args.predictionsPrefix.replace(/\/$/, '')}`,
            adminTokenParameter: parameter,
            apiKeysParameter,
            ...(metricsTokenParameter ? { metricsTokenParameter } : {}),
            ...(reviewerTokensParameter ? { reviewerTokensParameter } : {}),
            logGroup,
            pollIntervalS: args.pollIntervalS,
          }),
      );

    this.instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        // The parameter's value is not a secret (Pulumi marks every SSM parameter value as one, hiding the AMI in
        // diffs).
        ami: pulumi.unsecret(ami.value),
        instanceType: args.listen.instanceType,
        iamInstanceProfile: profile.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        // In the default VPC AWS picks a default subnet (as it did before networks could be chosen: naming one
        // now would replace running instances); in a VPC of the stack's own, the first of its subnets.
        ...(args.network.isDefault ? {} : { subnetId: args.network.subnetIds.apply((ids) => ids[0]) }),
        associatePublicIpAddress: true,
        // Hop limit 2: the container is one network hop from the host and needs IMDSv2 for its credentials.
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 },
        rootBlockDevice: { volumeType: 'gp3', volumeSize: 30, encrypted: true, deleteOnTermination: true },
        monitoring: false,
        // T3 launches in unlimited mode by default, which bills for sustained CPU above the baseline.
        creditSpecification: { cpuCredits: 'standard' },
        userData,
        userDataReplaceOnChange: true,
        tags: { ...args.tags, Name: `${name}-service` },
      },
      // The AMI is the latest AL2023 at creation; a newer one in the public parameter must not replace a running
      // instance at an unrelated `pulumi up` (replace it deliberately with `pulumi up --replace`). The instance
      // boots only once its role may pull the image and read the token.
      { parent: this, ignoreChanges: ['ami'], dependsOn: [servicePolicy] },
    );
    this.address = new aws.ec2.Eip(
      `${name}-address`,
      { domain: 'vpc', tags: { ...args.tags, Name: `${name}-service` } },
      parent,
    );
    new aws.ec2.EipAssociation(
      `${name}-address-association`,
      { instanceId: this.instance.id, allocationId: this.address.allocationId },
      parent,
    );
    this.registerOutputs({
      instanceId: this.instance.id,
      publicDns: this.address.publicDns,
      publicIp: this.address.publicIp,
    });
  }
}
