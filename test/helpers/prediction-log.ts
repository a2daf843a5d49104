import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { recordsInFile } from '../../service/src/capture/prediction-file.js';

/** Every prediction_id in a set of gzip JSON-lines files. */
export function idsIn(files: Buffer[]): Set<string> {
  return new Set(files.flatMap((file) => recordsInFile(file).map((r) => r.prediction_id)));
}

/** Every .jsonl.gz file below a directory (none when it does not exist). */
export async function filesInDirectory(root: string): Promise<Buffer[]> {
  const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return Promise.all(names.filter((n) => n.endsWith('.jsonl.gz')).map((n) => readFile(path.join(root, n))));
}

/** Every object in a bucket, as bytes. */
export async function filesInBucket(client: S3Client, bucket: string): Promise<Buffer[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return Promise.all(
    (listed.Contents ?? []).map(async (o) =>
      Buffer.from(
        await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToByteArray(),
      ),
    ),
  );
}
