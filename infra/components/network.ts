import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface NetworkArgs {
  /** An existing VPC; unset, the region's default VPC. */
  vpcId?: pulumi.Input<string>;
  /**
   * Subnets of that VPC for instances, tasks and caches (required with vpcId); unset, the default VPC's default
   * subnets.
   */
  subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
}

/** What a compute component needs of a network: every compute component takes one of these. */
export interface NetworkPlacement {
  vpcId: pulumi.Output<string>;
  subnetIds: pulumi.Output<string[]>;
  /** The VPC's address range (the load balancer's source addresses in fleet mode). */
  cidrBlock: pulumi.Output<string>;
  /** True for the region's default VPC, where an instance may be left to the default subnet AWS picks. */
  isDefault: boolean;
}

/**
 * Where the stack's compute runs: the default VPC and its default subnets (one per availability zone) unless
 * the stack names a VPC and subnets of its own. It looks the network up, it creates nothing: one place that
 * the instance, the fleet and the retraining task all take, as pulumi-awsx's components take a network.
 */
export class Network extends pulumi.ComponentResource implements NetworkPlacement {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly cidrBlock: pulumi.Output<string>;
  readonly isDefault: boolean;

  constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:network:Network', name, {}, opts);
    if ((args.vpcId === undefined) !== (args.subnetIds === undefined)) {
      throw new Error(
        'Network: vpcId and subnetIds go together (an existing VPC and its subnets), or neither (the default VPC)',
      );
    }
    const parent = { parent: this };
    this.isDefault = args.vpcId === undefined;
    const vpc = this.isDefault
      ? aws.ec2.getVpcOutput({ default: true }, parent)
      : aws.ec2.getVpcOutput({ id: args.vpcId }, parent);
    this.vpcId = vpc.id;
    this.cidrBlock = vpc.cidrBlock;
    this.subnetIds = this.isDefault
      ? // The default VPC has one default subnet per availability zone: every zone of the region.
        aws.ec2.getSubnetsOutput(
          {
            filters: [
              { name: 'vpc-id', values: [vpc.id] },
              { name: 'default-for-az', values: ['true'] },
            ],
          },
          parent,
        ).ids
      : pulumi.output(args.subnetIds!);
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds });
  }
}
