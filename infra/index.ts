import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analytics } from './components/analytics.js';
import { Compute } from './components/compute.js';
import { Fleet } from './components/fleet.js';
import { Logging } from './components/logging.js';
import { Network } from './components/network.js';
import { Registry } from './components/registry.js';
import { OUTCOMES_KEY, Retraining } from './components/retraining.js';
import { BookScoring } from './components/book-scoring.js';
import { LOAD_BALANCER_LOGS_PREFIX, PREDICTIONS_PREFIX, Storage } from './components/storage.js';
import { readSettings } from './config.js';

// The Pulumi program: read the stack's settings, wire one component per concern, export what people use.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONTAINER_PORT = 3000;
const settings = readSettings();
const tags = { project: settings.project, stack: settings.stack, 'managed-by': 'pulumi' };
const config = new pulumi.Config();

const storage = new Storage('loan-default', {
  forceDestroy: settings.storage.forceDestroyBuckets,
  noncurrentVersionDays: settings.storage.noncurrentVersionDays,
  predictionsInfrequentAccessDays: settings.storage.predictionsInfrequentAccessDays,
  seedModelStore: path.join(ROOT, 'models'),
  modelName: settings.modelName,
  ...(settings.deployment === 'fleet' ? { loadBalancerLogsPrefix: LOAD_BALANCER_LOGS_PREFIX } : {}),
  tags,
});

const registry = new Registry('loan-default', {
  // Relative: Pulumi runs the program from the project root, and an absolute path would differ per machine.
  contextDir: path.relative(process.cwd(), ROOT) || '.',
  images: {
    service: { dockerfile: 'service/Dockerfile' },
    retraining: { dockerfile: 'training/Dockerfile' },
  },
  keepImages: settings.images.keepImages,
  imageTag: settings.images.imageTag,
  tags,
});

const logging = new Logging('loan-default', {
  prefix: `/${settings.project}/${settings.stack}`,
  retentionDays: settings.logging.retentionDays,
  alarmEmail: settings.logging.alarmEmail,
  tags,
});

// The admin token: `pulumi config set --secret adminToken ...`, or a generated one kept secret in state.
const adminToken =
  config.getSecret('adminToken') ?? new random.RandomPassword('admin-token', { length: 40, special: false }).result;
// The keys clients send on /predict: `pulumi config set --secret apiKeys k1,k2`, or one generated key, so the
// scoring route is never open to everyone in allowedCidr by default.
const apiKeys =
  config.getSecret('apiKeys') ?? new random.RandomPassword('api-key', { length: 40, special: false }).result;
// The token /metrics and /monitoring/* ask for (approval rates by gender and marital status among them):
// `pulumi config set --secret metricsToken ...`, or, in fleet mode, where those routes face the internet through
// the load balancer, a generated one. A single instance leaves them open to allowedCidr unless one is set.
const metricsToken =
  config.getSecret('metricsToken') ??
  (settings.deployment === 'fleet'
    ? new random.RandomPassword('metrics-token', { length: 40, special: false }).result
    : undefined);

// The default VPC, or the stack's own (vpcId and subnetIds): every compute component runs in it.
const network = new Network(
  'loan-default',
  settings.network.vpcId ? { vpcId: settings.network.vpcId, subnetIds: settings.network.subnetIds } : {},
);

const serviceArgs = {
  network,
  image: registry.image('service'),
  modelsBucket: storage.modelsBucket,
  dataBucket: storage.dataBucket,
  predictionsPrefix: PREDICTIONS_PREFIX,
  modelName: settings.modelName,
  logGroup: logging.serviceLogGroup,
  // Reviewers of referred applications (`pulumi config set --secret reviewerTokens alice:<token>,...`); unset: none.
  secrets: { adminToken, apiKeys, metricsToken, reviewerTokens: config.getSecret('reviewerTokens') },
  pollIntervalS: 30,
  tags,
};
// `deployment: single` (the default): one free-tier instance. `fleet`: ECS tasks behind a load balancer.
const compute =
  settings.deployment === 'single'
    ? new Compute('loan-default', { listen: { ...settings.network, containerPort: CONTAINER_PORT }, ...serviceArgs })
    : undefined;
const fleet =
  settings.deployment === 'fleet'
    ? new Fleet('loan-default-fleet', {
        listen: { allowedCidr: settings.network.allowedCidr, containerPort: CONTAINER_PORT },
        settings: settings.fleet,
        loadBalancerLogsPrefix: LOAD_BALANCER_LOGS_PREFIX,
        alarmTopic: logging.alarmTopic,
        ...serviceArgs,
      })
    : undefined;

const retraining = new Retraining('loan-default', {
  image: registry.image('retraining'),
  network,
  dataBucket: storage.dataBucket,
  modelsBucket: storage.modelsBucket,
  modelName: settings.modelName,
  logGroup: logging.retrainingLogGroup,
  run: settings.retraining,
  alarmTopic: logging.alarmTopic,
  tags,
});

// A whole loan book scored from Parquet parts, one Fargate task per part (README "Scoring a loan book").
const bookScoring = new BookScoring('loan-default', {
  image: registry.image('retraining'),
  cluster: retraining.cluster,
  network,
  dataBucket: storage.dataBucket,
  modelsBucket: storage.modelsBucket,
  modelName: settings.modelName,
  logGroup: logging.retrainingLogGroup,
  alarmTopic: logging.alarmTopic,
  run: settings.bookScoring,
  tags,
});

// The same tables for analysts, in the Glue Data Catalog and an Athena workgroup.
const analytics = new Analytics('loan-default', {
  dataBucket: storage.dataBucket,
  databaseName: `${settings.project}_${settings.stack}`.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
  bytesScannedCutoffPerQuery: 100 * 2 ** 30,
  tags,
});

const portSuffix = settings.network.servicePort === 80 ? '' : `:${settings.network.servicePort}`;
// Single: the Elastic IP's name, not the instance's (it stays the same when the instance is replaced).
export const serviceUrl = fleet
  ? fleet.loadBalancer.url
  : pulumi.interpolate`http://${compute!.address.publicDns}${portSuffix}`;
export const swaggerUrl = pulumi.interpolate`${serviceUrl}/docs`;
export const dataBucketName = storage.dataBucket.name;
export const modelsBucketName = storage.modelsBucket.name;
export const modelStore = pulumi.interpolate`s3://${storage.modelsBucket.name}`;
export const repositoryUrl = registry.repositories.service.repositoryUrl;
export const retrainingRepositoryUrl = registry.repositories.retraining.repositoryUrl;
export const imageRef = registry.imageRefs.service;
export const retrainingImageRef = registry.imageRefs.retraining;
export const serviceLogGroup = logging.serviceLogGroup.name;
export const retrainingLogGroup = logging.retrainingLogGroup.name;
export const alarmTopicArn = logging.alarmTopic.arn;
export const instanceId = compute?.instance.id;
export const adminTokenParameter = (compute?.adminTokenParameter ?? fleet!.parameters.adminToken).name;
export const apiKeysParameter = (compute?.apiKeysParameter ?? fleet!.parameters.apiKeys).name;
export const metricsTokenParameter = (compute?.metricsTokenParameter ?? fleet?.parameters.metricsToken)?.name;
export const reviewerTokensParameter = (compute?.reviewerTokensParameter ?? fleet?.parameters.reviewerTokens)?.name;
export const fleetCluster = fleet?.cluster.name;
export const fleetService = fleet?.service.name;
/** Set when the fleet serves plain HTTP (no certificateArn). */
export const fleetWarning = fleet?.loadBalancer.warning || undefined;
/** The balancer's own name: point domainName at it (an alias or CNAME) where the stack has no hostedZoneId. */
export const loadBalancerDnsName = fleet?.loadBalancer.alb.dnsName;
export const retrainingSchedule = retraining.schedule.name;
export const retrainingCluster = retraining.cluster.name;
export const bookScoringStateMachine = bookScoring.stateMachine.arn;
export const outcomesUri = pulumi.interpolate`s3://${storage.dataBucket.name}/${OUTCOMES_KEY}`;
export const analyticsDatabase = analytics.database.name;
export const athenaWorkgroup = analytics.workgroup.name;
