import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface PrivateBucketArgs {
  forceDestroy: boolean;
  noncurrentVersionDays: number;
  /** Extra lifecycle rules (e.g. moving a prefix to infrequent access). */
  extraLifecycleRules?: aws.types.input.s3.BucketLifecycleConfigurationRule[];
  /** Extra bucket policy statements for the bucket's ARN (e.g. letting the load balancer deliver its access logs). */
  extraPolicyStatements?: (bucketArn: pulumi.Output<string>) => pulumi.Input<Record<string, unknown>>[];
  tags: Record<string, string>;
}

/**
 * A bucket that is private and encrypted by construction: versioning, SSE, every public access blocked,
 * bucket-owner-enforced ownership (no ACLs), a policy that denies anything not over TLS, and lifecycle
 * rules that expire old noncurrent versions and abandoned multipart uploads.
 */
export class PrivateBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;
  /** Resources that write here as a service (ALB access logs) must wait for it. */
  readonly policy: aws.s3.BucketPolicy;

  constructor(name: string, args: PrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:storage:PrivateBucket', name, {}, opts);
    const parent = { parent: this };
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: args.forceDestroy, tags: args.tags }, parent);
    const bucket = this.bucket.id;

    new aws.s3.BucketOwnershipControls(name, { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      name,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketVersioning(name, { bucket, versioningConfiguration: { status: 'Enabled' } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      parent,
    );
    this.policy = new aws.s3.BucketPolicy(
      name,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
            ...(args.extraPolicyStatements?.(this.bucket.arn) ?? []),
          ],
        }),
      },
      // The public access block must exist first, or S3 may judge the policy before it is in force.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            id: 'expire-noncurrent-versions',
            status: 'Enabled',
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          ...(args.extraLifecycleRules ?? []),
        ],
      },
      parent,
    );
    this.arn = this.bucket.arn;
    this.name = this.bucket.bucket;
    this.registerOutputs({ arn: this.arn, name: this.name });
  }
}
