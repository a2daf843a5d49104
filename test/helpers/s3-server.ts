import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { createS3Client } from '../../service/src/storage/s3-location.js';

/** Credentials for the loopback server; set before any SDK client resolves its credential chain. */
export const S3_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  // Never let the SDK look for instance credentials off this machine.
  AWS_EC2_METADATA_DISABLED: 'true',
};
Object.assign(process.env, S3_TEST_ENV);

export interface S3TestServer {
  endpoint: string;
  port: number;
  client: S3Client;
  /** Environment for a service process that should use this server. */
  env: Record<string, string>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts again on the same port and directory (after stop). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on 127.0.0.1, storing into a temporary directory. */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  let server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { ...S3_TEST_ENV, AWS_ENDPOINT_URL_S3: endpoint };
  const client = createS3Client(env);
  let running = true;
  return {
    endpoint,
    port,
    client,
    env,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      if (running) await server.close();
      running = false;
    },
    restart: async () => {
      server = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
      await server.run();
      running = true;
    },
    dispose: async () => {
      if (running) await server.close();
      running = false;
      client.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
