import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

export interface RateLimitCacheArgs {
  network: { vpcId: pulumi.Input<string>; subnetIds: pulumi.Input<pulumi.Input<string>[]> };
  /** The only group that may connect (the fleet's tasks). */
  clientSecurityGroupId: pulumi.Input<string>;
  nodeType: string;
  tags: Record<string, string>;
}

export const REDIS_PORT = 6379;

/**
 * One ElastiCache Redis node for the fleet's shared rate-limit counters: TLS in transit with an AUTH token,
 * encrypted at rest, reachable on 6379 from the tasks' security group only, no snapshots (the counters live a
 * minute). A single node: if it fails, the service counts nothing for a while but keeps answering (fail open),
 * which is why no replica is bought. `url` (rediss://:token@host:6379) is a secret.
 */
export class RateLimitCache extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: RateLimitCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:fleet:RateLimitCache', name, {}, opts);
    const parent = { parent: this };
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-redis-sg`,
      {
        vpcId: args.network.vpcId,
        description: 'Loan default rate-limit counters: Redis from the fleet tasks only',
        tags: args.tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-redis-from-tasks`,
      {
        securityGroupId: this.securityGroup.id,
        ipProtocol: 'tcp',
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        description: 'fleet tasks',
        tags: args.tags,
      },
      parent,
    );
    const subnets = new aws.elasticache.SubnetGroup(
      `${name}-redis`,
      { subnetIds: args.network.subnetIds, tags: args.tags },
      parent,
    );
    // ElastiCache AUTH tokens are 16-128 printable characters without @, " or /: letters and digits only.
    const token = new random.RandomPassword(`${name}-redis-auth`, { length: 64, special: false }, parent);
    this.replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        description: 'Loan default fleet: shared rate-limit counters',
        engine: 'redis',
        engineVersion: '7.1',
        nodeType: args.nodeType,
        numCacheClusters: 1,
        automaticFailoverEnabled: false,
        port: REDIS_PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [this.securityGroup.id],
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        authToken: token.result,
        snapshotRetentionLimit: 0,
        applyImmediately: true,
        tags: args.tags,
      },
      parent,
    );
    this.url = pulumi.secret(
      pulumi.interpolate`rediss://:${token.result}@${this.replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`,
    );
    this.registerOutputs({ endpoint: this.replicationGroup.primaryEndpointAddress });
  }
}
