import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobExistsError } from '../../service/src/storage/blob-store.js';
import { S3BlobStore } from '../../service/src/storage/s3-blob-store.js';

/**
 * An S3 client that answers as AWS answers a role without unconditioned s3:ListBucket (the documented shape of SDK
 * errors).
 */
function awsLike(putStatus: number | null) {
  const puts: PutObjectCommand['input'][] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof HeadObjectCommand)
        throw Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
      if (command instanceof PutObjectCommand) {
        puts.push(command.input);
        if (putStatus)
          throw Object.assign(new Error('PreconditionFailed'), {
            name: 'PreconditionFailed',
            $metadata: { httpStatusCode: putStatus },
          });
        return {};
      }
      throw new Error('unexpected command');
    },
  } as unknown as S3Client;
  return { client, puts };
}

describe('S3BlobStore conditional writes', () => {
  it('writes only-if-absent when a HEAD of the missing key answers 403 (s3:ListBucket under an s3:prefix condition)', async () => {
    const { client, puts } = awsLike(null);
    await new S3BlobStore('s3://data', client).put('snapshots/1/data.csv', Buffer.from('x'), { ifAbsent: true });
    expect(puts).toHaveLength(1);
    expect(puts[0].IfNoneMatch).toBe('*');
  });

  it('still refuses an existing key: the PUT answers 412', async () => {
    const { client } = awsLike(412);
    await expect(
      new S3BlobStore('s3://data', client).put('snapshots/1/data.csv', Buffer.from('x'), { ifAbsent: true }),
    ).rejects.toBeInstanceOf(BlobExistsError);
  });
});
