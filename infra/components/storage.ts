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
 * The regions whose load balancers deliver access logs as a regional ELB account (those opened before August
 * 2022). aws.elb.getServiceAccount knows only these and fails the whole preview elsewhere ("unsupported AWS
 * Region"); newer regions deliver as the log delivery service principal, and only that is named there.
 */
export const ELB_ACCOUNT_REGIONS = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
]);
export const LOG_DELIVERY_PRINCIPAL = 'logdelivery.elasticloadbalancing.amazonaws.com';

/**
 * Lets Elastic Load Balancing put access logs under prefix/AWSLogs/<this account>/ of the bucket, and nowhere
 * else: as the region's ELB account where it has one (with the service principal too), as the service
 * principal alone elsewhere.
 */
function loadBalancerLogDelivery(bucketArn: pulumi.Output<string>, prefix: string, parent: pulumi.Resource) {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const principal = aws
    .getRegionOutput({}, { parent })
    .region.apply((region) =>
      ELB_ACCOUNT_REGIONS.has(region)
        ? aws.elb
            .getServiceAccountOutput({ region }, { parent })
            .arn.apply((arn) => ({ AWS: [arn], Service: [LOG_DELIVERY_PRINCIPAL] }))
        : { Service: [LOG_DELIVERY_PRINCIPAL] },
    );
  return pulumi.output({
    Sid: 'LoadBalancerAccessLogs',
    Effect: 'Allow',
    Principal: principal,
    Action: 's3:PutObject',
    Resource: pulumi.interpolate`${bucketArn}/${prefix}/AWSLogs/${account}/*`,
  });
}

/**
 * The data bucket (`snapshots/` for training data, `predictions/` for captured predictions) and the models
 * bucket (the model store layout of docs/model-store.md), both private. The demo model's versions are copied into the
 * models bucket and its production channel is created once, so a new stack serves at once; later promotions
 * belong to the model registry, so Pulumi never rewrites that channel.
 */
export class Storage extends pulumi.ComponentResource {
  readonly dataBucket: PrivateBucket;
  readonly modelsBucket: PrivateBucket;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:storage:Storage', name, {}, opts);
    const common = {
      forceDestroy: args.forceDestroy,
      noncurrentVersionDays: args.noncurrentVersionDays,
      tags: args.tags,
    };
    this.dataBucket = new PrivateBucket(
      `${name}-data`,
      {
        ...common,
        ...(args.loadBalancerLogsPrefix
          ? { extraPolicyStatements: (arn) => [loadBalancerLogDelivery(arn, args.loadBalancerLogsPrefix!, this)] }
          : {}),
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
        // The model's channels and the credit policy's: moved by promotion, never by a deploy.
        const isChannel = /\/(policy-)?channels\//.test(key);
        new aws.s3.BucketObjectv2(
          `${name}-seed-${key.replace(/[^A-Za-z0-9-]/g, '-')}`,
          {
            bucket: this.modelsBucket.bucket.id,
            key,
            source: new pulumi.asset.FileAsset(path.join(root, relative)),
            contentType: key.endsWith('.json')
              ? 'application/json'
              : key.endsWith('.html')
                ? 'text/html'
                : 'application/octet-stream',
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
