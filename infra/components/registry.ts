import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RegistryArgs {
  /** Repository root: the Docker build context. */
  contextDir: string;
  /** Dockerfile path relative to the context. */
  dockerfile: string;
  /** Paths (relative to the context) whose content defines the image; hashed into its tag. */
  contentPaths: string[];
  keepImages: number;
  imageTag?: string;
  tags: Record<string, string>;
}

/** sha256 over the named files and folders (sorted, with their paths): same content, same tag. */
export function contentHash(root: string, paths: string[]): string {
  const hash = createHash('sha256');
  const visit = (relative: string) => {
    const full = path.join(root, relative);
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) {
        if (entry === 'node_modules' || entry === '__pycache__' || entry.startsWith('.')) continue;
        visit(path.join(relative, entry));
      }
    } else {
      hash.update(relative).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  paths.forEach(visit);
  return hash.digest('hex').slice(0, 16);
}

/**
 * An ECR repository (scan on push, immutable tags, encrypted, keeps the last N images) and the service
 * image built from the repository and pushed to it, tagged by content so an unchanged tree is not rebuilt.
 */
export class Registry extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly image: dockerBuild.Image;
  /** repository@sha256:digest: what the instance runs, immune to tag reuse. */
  readonly imageRef: pulumi.Output<string>;
  readonly imageTag: string;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
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

    this.imageTag = args.imageTag ?? contentHash(args.contextDir, args.contentPaths);
    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: this.repository.registryId }, parent);
    this.image = new dockerBuild.Image(
      name,
      {
        context: { location: args.contextDir },
        dockerfile: { location: path.join(args.contextDir, args.dockerfile) },
        platforms: ['linux/amd64'],
        push: true,
        tags: [pulumi.interpolate`${this.repository.repositoryUrl}:${this.imageTag}`],
        registries: [{ address: this.repository.repositoryUrl, username: auth.userName, password: auth.password }],
      },
      parent,
    );
    this.imageRef = pulumi.interpolate`${this.repository.repositoryUrl}@${this.image.digest}`;
    this.registerOutputs({ repositoryUrl: this.repository.repositoryUrl, imageRef: this.imageRef });
  }
}
