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

/** The default deadline of one S3 call, retries included (STORE_TIMEOUT_MS in the service). */
export const DEFAULT_S3_TIMEOUT_MS = 5_000;

/**
 * One S3 client configuration for the store and the prediction log: AWS_REGION, and AWS_ENDPOINT_URL_S3 for an
 * S3-compatible server (path-style addressing, since such servers rarely resolve bucket subdomains).
 * Each attempt has a real deadline: without throwOnRequestTimeout, @smithy/node-http-handler only logs a
 * warning when requestTimeout passes and keeps waiting (a frozen endpoint held a reload for 96 s). The whole
 * call, retries included, is bounded by an abort signal in S3BlobStore.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env, timeoutMs = DEFAULT_S3_TIMEOUT_MS): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    forcePathStyle: Boolean(endpoint),
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: Math.min(3_000, timeoutMs),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}
