import { S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash ('' for the bucket root). */
  prefix: string;
}

/** s3://bucket/some/prefix -> { bucket, prefix }. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(uri);
  if (!match) throw new Error(`not an S3 location: '${uri}' (expected s3://bucket/prefix)`);
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export const joinKey = (...parts: string[]) => parts.filter(Boolean).join('/');

/**
 * One S3 client configuration for the store and the prediction log: AWS_REGION, and AWS_ENDPOINT_URL_S3 for an
 * S3-compatible server (path-style addressing, since such servers rarely resolve bucket subdomains).
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    forcePathStyle: Boolean(endpoint),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
  });
}
