import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { contextHash } from './build-context.js';

export interface ImageSpec {
  /**
   * Dockerfile path relative to the context. Its build context is what `<dockerfile>.dockerignore` lets in
   * (an allowlist: `*` then `!path` lines), and the image tag hashes exactly those paths and the Dockerfile.
   */
  dockerfile: string;
}

export interface RegistryArgs<Names extends string> {
  /** Repository root: the Docker build context, relative to the Pulumi project (absolute paths differ per machine). */
  contextDir: string;
  /** The images to build and push, by name (one repository each). */
  images: Record<Names, ImageSpec>;
  keepImages: number;
  /** A tag suffix for every image (e.g. a git sha) instead of the content hash. */
  imageTag?: string;
  tags: Record<string, string>;
}

/** An image to run, by digest, and the repository a role must be allowed to pull it from. */
export interface ContainerImage {
  ref: pulumi.Input<string>;
  repository: aws.ecr.Repository;
}

/**
 * One ECR repository per image (scan on push, immutable tags, encrypted, keeps the last N images), so that a
 * lifecycle rule counting one image's pushes can never expire the other image, which a schedule still pins.
 * Each image is tagged `<name>-<context hash>`, a hash that changes whenever docker-build's own context hash
 * does (build-context.ts): an unchanged context is not rebuilt or pushed again, and a rebuilt one always gets a
 * new tag (an immutable repository refuses to overwrite one). Images are built on `up`,
 * not on every preview.
 */
export class Registry<Names extends string> extends pulumi.ComponentResource {
  readonly repositories = {} as Record<Names, aws.ecr.Repository>;
  readonly images = {} as Record<Names, dockerBuild.Image>;
  /** repository@sha256:digest per image: what runs, immune to tag reuse. */
  readonly imageRefs = {} as Record<Names, pulumi.Output<string>>;

  /** One image with its repository, as Compute and Retraining take it. */
  image(imageName: Names): ContainerImage {
    return { ref: this.imageRefs[imageName], repository: this.repositories[imageName] };
  }

  constructor(name: string, args: RegistryArgs<Names>, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:registry:Registry', name, {}, opts);
    const parent = { parent: this };
    for (const [imageName, spec] of Object.entries(args.images) as [Names, ImageSpec][]) {
      const repository = new aws.ecr.Repository(
        `${name}-${imageName}`,
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
        `${name}-${imageName}`,
        {
          repository: repository.name,
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
      const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, parent);
      const tag = `${imageName}-${args.imageTag ?? contextHash(args.contextDir, spec.dockerfile)}`;
      const image = new dockerBuild.Image(
        `${name}-${imageName}`,
        {
          context: { location: args.contextDir },
          dockerfile: { location: path.posix.join(args.contextDir, spec.dockerfile) },
          platforms: ['linux/amd64'],
          push: true,
          buildOnPreview: false,
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${tag}`],
          registries: [{ address: repository.repositoryUrl, username: auth.userName, password: auth.password }],
        },
        parent,
      );
      this.repositories[imageName] = repository;
      this.images[imageName] = image;
      this.imageRefs[imageName] = pulumi.interpolate`${repository.repositoryUrl}@${image.digest}`;
    }
    this.registerOutputs({
      repositoryUrls: Object.fromEntries(
        Object.entries(this.repositories).map(([k, r]) => [k, (r as aws.ecr.Repository).repositoryUrl]),
      ),
      imageRefs: this.imageRefs,
    });
  }
}
