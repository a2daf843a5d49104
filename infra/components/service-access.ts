import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { PrivateBucket } from './private-bucket.js';

/** What the service may reach and what it is given, the same for the single instance and the fleet's tasks. */

export interface ServiceSecrets {
  adminToken: pulumi.Input<string>;
  /** Comma-separated keys required on /predict (x-api-key). */
  apiKeys: pulumi.Input<string>;
  /**
   * Bearer token for /metrics, /monitoring/* and /models/active (approval rates by gender and marital status
   * among them); unset leaves those routes open to whoever reaches the port.
   */
  metricsToken?: pulumi.Input<string>;
  /** `name:token` pairs of the reviewers of referred applications (REVIEWER_TOKENS); unset: nobody may review. */
  reviewerTokens?: pulumi.Input<string>;
}

/**
 * The admin token, the API keys, the metrics token and the reviewers' tokens (when set) as SecureString
 * parameters, read at start: never in user data or a task definition.
 */
export function serviceParameters(
  name: string,
  secrets: ServiceSecrets,
  tags: Record<string, string>,
  parent: pulumi.Resource,
) {
  const parameter = (id: string, value: pulumi.Input<string>, description: string) =>
    new aws.ssm.Parameter(`${name}-${id}`, { type: 'SecureString', value, description, tags }, { parent });
  // The secrets a stack may leave unset: a parameter only when set.
  const optional = (id: string, value: pulumi.Input<string> | undefined, description: string) =>
    value === undefined ? undefined : parameter(id, value, description);
  return {
    adminToken: parameter('admin-token', secrets.adminToken, 'Bearer token for the service admin routes'),
    apiKeys: parameter('api-keys', secrets.apiKeys, 'API keys (comma-separated) clients send as x-api-key on /predict'),
    metricsToken: optional(
      'metrics-token',
      secrets.metricsToken,
      'Bearer token for the service metrics and monitoring routes',
    ),
    reviewerTokens: optional(
      'reviewer-tokens',
      secrets.reviewerTokens,
      "Reviewers' name:token pairs for final decisions on referred applications",
    ),
  };
}

/** Read the model store (list and get), write the prediction log under its prefix only; nothing else in S3. */
export const serviceDataStatements = (
  modelsBucket: PrivateBucket,
  dataBucket: PrivateBucket,
  predictionsPrefix: string,
) => [
  { Sid: 'ListModels', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [modelsBucket.arn] },
  {
    Sid: 'ReadModels',
    Effect: 'Allow',
    Action: ['s3:GetObject'],
    Resource: [pulumi.interpolate`${modelsBucket.arn}/*`],
  },
  {
    Sid: 'WritePredictions',
    Effect: 'Allow',
    Action: ['s3:PutObject'],
    Resource: [pulumi.interpolate`${dataBucket.arn}/${predictionsPrefix}*`],
  },
  // Reviewers' final decisions, beside the prediction log (DECISION_LOG's default). Put only: the once-only write
  // is a conditional PUT, and the HEAD before it answers 403 without read, which the store takes as "absent".
  {
    Sid: 'WriteDecisions',
    Effect: 'Allow',
    Action: ['s3:PutObject'],
    Resource: [pulumi.interpolate`${dataBucket.arn}/${DECISIONS_PREFIX}*`],
  },
];

/** Where the service writes reviewers' final decisions in the data bucket (beside predictions/). */
export const DECISIONS_PREFIX = 'decisions/';
