import { ChallengerPointer, ChannelPointer } from './manifest.js';

/**
 * Where model versions and channels live. A directory and an S3 prefix hold the same layout:
 *   <name>/versions/<version>/{model.onnx,manifest.json,model-card.html}
 *   <name>/channels/<channel>.json
 * Versions are immutable (publishing one that exists is refused); a channel moves in one atomic write.
 */
export interface ModelStore {
  /** Where the store is, for logs and errors (a path or s3://bucket/prefix). */
  readonly location: string;
  readChannel(name: string, channel: string): Promise<ChannelPointer | null>;
  /** production's pointer, or a challenger's (whose version is null when cleared). */
  writeChannel(name: string, channel: string, pointer: ChannelPointer | ChallengerPointer): Promise<void>;
  listVersions(name: string): Promise<string[]>;
  /**
   * One file of a version. With maxBytes, a file larger than that is refused (ArtifactTooLargeError) from its
   * size alone (a HEAD on S3), before it is downloaded.
   */
  readVersionFile(name: string, version: string, file: string, maxBytes?: number): Promise<Buffer>;
  /** Cheap identity of a version's artifact (sizes, times or ETags): changes when its files change. */
  fingerprint(name: string, version: string): Promise<string>;
  /** Writes every file of a new version; refuses a version that exists, and never leaves half of one. */
  publish(name: string, version: string, files: Record<string, Buffer>): Promise<void>;
}

export const MODEL_STORE = Symbol('MODEL_STORE');

export class ArtifactTooLargeError extends Error {
  constructor(file: string, bytes: number, maxBytes: number) {
    super(`${file} is ${bytes} bytes, more than the ${maxBytes} a version's ${file} may be`);
  }
}

export class VersionExistsError extends Error {
  constructor(name: string, version: string, location: string) {
    super(`version ${version} of ${name} already exists in ${location}; versions are immutable`);
  }
}
