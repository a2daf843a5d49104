import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { filesUnder } from './files.js';
import { PrivateBucket } from './private-bucket.js';

export interface StorageArgs {
  forceDestroy: boolean;
  noncurrentVersionDays: number;
  predictionsInfrequentAccessDays: number;
  /** A local model store whose versions are copied into the models bucket (the demo model). */
  seedModelStore?: string;
  modelName: string;
  /** When set, the load balancer of the fleet may write its access logs under this prefix of the data bucket. */
  loadBalancerLogsPrefix?: string;
  tags: Record<string, string>;
}

export const PREDICTIONS_PREFIX = 'predictions/';
export const LOAD_BALANCER_LOGS_PREFIX = 'alb-logs';

/**
 * Lets Elastic Load Balancing put access logs under prefix/AWSLogs/<this account>/ of the bucket, and nowhere
 * else. Regions from before August 2022 deliver as the region's ELB account, newer ones as the log delivery
 * service principal: both are named, and each region uses the one it has.
 */
function loadBalancerLogDelivery(bucketArn: pulumi.Output<string>, prefix: string, parent: pulumi.Resource) {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const elb = aws.elb.getServiceAccountOutput({}, { parent });
  return pulumi.output({
    Sid: 'LoadBalancerAccessLogs',
    Effect: 'Allow',
    Principal: { AWS: [elb.arn], Service: ['logdelivery.elasticloadbalancing.amazonaws.com'] },
    Action: 's3:PutObject',
    Resource: pulumi.interpolate`${bucketArn}/${prefix}/AWSLogs/${account}/*`,
  });
}

/**
 * The data bucket (`snapshots/` for training data, `predictions/` for captured predictions) and the models
 * bucket (the model store layout of DESIGN.md), both private. The demo model's versions are copied into the
 * models bucket and its production channel is created once, so a new stack serves at once; later promotions
 * belong to the model registry, so Pulumi never rewrites that channel.
 */
export class Storage extends pulumi.ComponentResource {
  readonly dataBucket: PrivateBucket;
  readonly modelsBucket: PrivateBucket;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:storage:Storage', name, {}, opts);
    const common = { forceDestroy: args.forceDestroy, noncurrentVersionDays: args.noncurrentVersionDays, tags: args.tags };
    this.dataBucket = new PrivateBucket(
      `${name}-data`,
      {
        ...common,
        ...(args.loadBalancerLogsPrefix ? { extraPolicyStatements: (arn) => [loadBalancerLogDelivery(arn, args.loadBalancerLogsPrefix!, this)] } : {}),
        extraLifecycleRules: [
          {
            id: 'predictions-to-infrequent-access',
            status: 'Enabled',
            filter: { prefix: PREDICTIONS_PREFIX },
            transitions: [{ days: args.predictionsInfrequentAccessDays, storageClass: 'STANDARD_IA' }],
          },
        ],
      },
      { parent: this },
    );
    this.modelsBucket = new PrivateBucket(`${name}-models`, common, { parent: this });

    if (args.seedModelStore) {
      const root = path.join(args.seedModelStore, args.modelName);
      for (const relative of filesUnder(root)) {
        const key = `${args.modelName}/${relative}`;
        const isChannel = key.includes('/channels/');
        new aws.s3.BucketObjectv2(
          `${name}-seed-${key.replace(/[^A-Za-z0-9-]/g, '-')}`,
          {
            bucket: this.modelsBucket.bucket.id,
            key,
            source: new pulumi.asset.FileAsset(path.join(root, relative)),
            contentType: key.endsWith('.json') ? 'application/json' : key.endsWith('.html') ? 'text/html' : 'application/octet-stream',
            tags: args.tags,
          },
          // Channels move by promotion after the first deploy: create them once, never reset them.
          { parent: this, ignoreChanges: isChannel ? ['source', 'etag', 'content', 'sourceHash'] : [] },
        );
      }
    }
    this.registerOutputs({ dataBucket: this.dataBucket.name, modelsBucket: this.modelsBucket.name });
  }
}
