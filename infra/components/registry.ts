import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { filesUnder } from './files.js';

export interface ImageSpec {
  /** Dockerfile path relative to the context. */
  dockerfile: string;
  /** Paths (relative to the context) whose content defines the image; hashed into its tag. */
  contentPaths: string[];
}

export interface RegistryArgs<Names extends string> {
  /** Repository root: the Docker build context. */
  contextDir: string;
  /** The images to build and push, by name (the name prefixes the tag). */
  images: Record<Names, ImageSpec>;
  keepImages: number;
  /** A tag suffix for every image (e.g. a git sha) instead of the content hash. */
  imageTag?: string;
  tags: Record<string, string>;
}

/** sha256 over the named files and folders (sorted, with their paths): same content, same tag. */
export function contentHash(root: string, paths: string[]): string {
  const hash = createHash('sha256');
  for (const file of paths.flatMap((p) => filesUnder(root, p))) {
    hash.update(file).update('\0').update(readFileSync(path.join(root, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * An ECR repository (scan on push, immutable tags, encrypted, keeps the last N images) and the images built
 * from the repository and pushed to it, each tagged `<name>-<content hash>` so an unchanged tree is not rebuilt.
 */
export class Registry<Names extends string> extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly images = {} as Record<Names, dockerBuild.Image>;
  /** repository@sha256:digest per image: what runs, immune to tag reuse. */
  readonly imageRefs = {} as Record<Names, pulumi.Output<string>>;

  constructor(name: string, args: RegistryArgs<Names>, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:registry:Registry', name, {}, opts);
    const parent = { parent: this };
    this.repository = new aws.ecr.Repository(
      name,
      {
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: 'AES256' }],
        forceDelete: true,
        tags: args.tags,
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(
      name,
      {
        repository: this.repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `keep the last ${args.keepImages} images`,
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: args.keepImages },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      parent,
    );

    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: this.repository.registryId }, parent);
    for (const [imageName, spec] of Object.entries(args.images) as [Names, ImageSpec][]) {
      const tag = `${imageName}-${args.imageTag ?? contentHash(args.contextDir, spec.contentPaths)}`;
      const image = new dockerBuild.Image(
        `${name}-${imageName}`,
        {
          context: { location: args.contextDir },
          dockerfile: { location: path.join(args.contextDir, spec.dockerfile) },
          platforms: ['linux/amd64'],
          push: true,
          tags: [pulumi.interpolate`${this.repository.repositoryUrl}:${tag}`],
          registries: [{ address: this.repository.repositoryUrl, username: auth.userName, password: auth.password }],
        },
        parent,
      );
      this.images[imageName] = image;
      this.imageRefs[imageName] = pulumi.interpolate`${this.repository.repositoryUrl}@${image.digest}`;
    }
    this.registerOutputs({ repositoryUrl: this.repository.repositoryUrl, imageRefs: this.imageRefs });
  }
}
