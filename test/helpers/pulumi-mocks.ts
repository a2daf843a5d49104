import * as pulumi from '@pulumi/pulumi';
import { createRequire } from 'node:module';

export interface MockResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** inputs plus the outputs the mock computed (what a policy pack sees as props) */
  state: Record<string, any>;
}

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/**
 * The regions terraform-provider-aws's aws_elb_service_account knows (its accountIDPerRegionMap); elsewhere
 * the real data source fails with "unsupported AWS Region", and so does the mock.
 */
const PROVIDER_ELB_ACCOUNT_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ca-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'me-south-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-1',
  'us-west-2',
];

/**
 * Pulumi's documented unit-test mocks: every resource the program registers is recorded with its inputs,
 * and provider functions answer with fixed, plausible values. No engine, no cloud.
 */
export function installPulumiMocks(config: Record<string, string>): MockResource[] {
  const resources: MockResource[] = [];
  const region = config['aws:region'] ?? REGION;
  pulumi.runtime.setAllConfig(config);
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const state: Record<string, any> = { ...args.inputs };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        let id = `${args.name}-id`;
        switch (args.type) {
          case 'aws:s3/bucket:Bucket':
            // As in AWS, a bucket's id is its name.
            id = `${args.name}-bucket`;
            Object.assign(state, { bucket: id, arn: `arn:aws:s3:::${id}` });
            break;
          case 'aws:ecr/repository:Repository':
            Object.assign(state, {
              arn: `arn:aws:ecr:${region}:${ACCOUNT}:repository/${args.name}`,
              registryId: ACCOUNT,
              repositoryUrl: `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${args.name}`,
              name: args.name,
            });
            break;
          case 'docker-build:index:Image':
            Object.assign(state, { digest: 'sha256:' + 'ab'.repeat(32) });
            break;
          case 'aws:cloudwatch/logGroup:LogGroup':
            Object.assign(state, { arn: `arn:aws:logs:${region}:${ACCOUNT}:log-group:${args.inputs.name}` });
            break;
          case 'aws:ssm/parameter:Parameter':
            Object.assign(state, {
              name: `/${args.name}`,
              arn: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${args.name}`,
            });
            break;
          case 'aws:ec2/instance:Instance':
            Object.assign(state, { publicDns: 'ec2-198-51-100-7.eu-west-1.compute.amazonaws.com' });
            break;
          case 'aws:ec2/eip:Eip':
            Object.assign(state, {
              allocationId: `eipalloc-${args.name}`,
              publicIp: '203.0.113.10',
              publicDns: 'ec2-203-0-113-10.eu-west-1.compute.amazonaws.com',
            });
            break;
          case 'aws:ecs/taskDefinition:TaskDefinition':
            Object.assign(state, {
              arn: `arn:aws:ecs:${region}:${ACCOUNT}:task-definition/${args.inputs.family}:1`,
              arnWithoutRevision: `arn:aws:ecs:${region}:${ACCOUNT}:task-definition/${args.inputs.family}`,
            });
            break;
          case 'aws:lb/loadBalancer:LoadBalancer':
            Object.assign(state, {
              arn: `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:loadbalancer/app/${args.name}/0123456789abcdef`,
              arnSuffix: `app/${args.name}/0123456789abcdef`,
              dnsName: `${args.name}-123456789.${region}.elb.amazonaws.com`,
              zoneId: 'Z32O12XQLNTSW2',
            });
            break;
          case 'aws:lb/targetGroup:TargetGroup':
            Object.assign(state, {
              arn: `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${args.name}/fedcba9876543210`,
              arnSuffix: `targetgroup/${args.name}/fedcba9876543210`,
            });
            break;
          case 'aws:elasticache/replicationGroup:ReplicationGroup':
            Object.assign(state, { primaryEndpointAddress: `master.${args.name}.abc123.euw1.cache.amazonaws.com` });
            break;
          case 'random:index/randomPassword:RandomPassword':
            Object.assign(state, { result: 'generated-admin-token-0123456789abcdef' });
            break;
          default:
            state.arn ??= `arn:aws:mock:${region}:${ACCOUNT}:${args.name}`;
            state.name ??= args.name;
        }
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case 'aws:index/getRegion:getRegion':
            return { name: region, region, id: region };
          case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
            return {
              userName: 'AWS',
              password: 'ecr-password',
              proxyEndpoint: 'https://registry',
              authorizationToken: 'x',
            };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: 'test', id: ACCOUNT };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
          case 'aws:ec2/getSubnets:getSubnets':
            return { ids: ['subnet-0aaa', 'subnet-0bbb'] };
          case 'aws:elb/getServiceAccount:getServiceAccount': {
            const asked = args.inputs.region ?? region;
            if (!PROVIDER_ELB_ACCOUNT_REGIONS.includes(asked)) throw new Error(`unsupported AWS Region: ${asked}`);
            return { arn: 'arn:aws:iam::156460612806:root', id: '156460612806' };
          }
          case 'aws:ec2/getVpc:getVpc':
            return {
              id: args.inputs.id ?? 'vpc-0default',
              cidrBlock: args.inputs.id ? '10.20.0.0/16' : '172.31.0.0/16',
            };
          case 'aws:ssm/getParameter:getParameter':
            return { name: args.inputs.name, value: 'ami-0123456789abcdef0', type: 'String' };
          default:
            return args.inputs;
        }
      },
    },
    'loan-default',
    'dev',
    false,
  );
  return resources;
}

/** The value inside an Output (or a plain value, as a program may export), for assertions. */
export function valueOf<T>(output: pulumi.Output<T> | T): Promise<T> {
  return pulumi.Output.isInstance(output)
    ? new Promise((resolve) => (output as pulumi.Output<T>).apply(resolve))
    : Promise.resolve(output as T);
}

/** Waits until the program has stopped registering resources. */
export async function settled(resources: MockResource[]): Promise<void> {
  let last = -1;
  while (resources.length !== last) {
    last = resources.length;
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Resource options (ignoreChanges, dependsOn), which the mocks never see, recorded by resource name: @pulumi/aws
 * resolves each class from its CommonJS module on each use, so a subclass put there records them. Call before
 * the program is imported.
 */
export function recordOptions(
  modulePath: string,
  className: string,
  into: Map<string, pulumi.CustomResourceOptions>,
): void {
  const module = createRequire(import.meta.url)(modulePath) as Record<string, new (...args: any[]) => object>;
  const Original = module[className];
  module[className] = class extends Original {
    constructor(name: string, args: unknown, opts?: pulumi.CustomResourceOptions) {
      into.set(name, opts ?? {});
      super(name, args, opts);
    }
  };
}

/** The names of the resources an option (dependsOn) names. */
export const dependencyNames = (opts: pulumi.CustomResourceOptions | undefined) =>
  ([opts?.dependsOn].flat().filter(Boolean) as { __name?: string }[]).map((r) => r.__name);

export type ProgramOutputs = Record<string, pulumi.Output<string> | string | undefined>;

/** Runs the Pulumi program (infra/index.ts) under the installed mocks and waits for every output and resource. */
export async function runProgram(resources: MockResource[]): Promise<ProgramOutputs> {
  const program: ProgramOutputs = await import('../../infra/index.js');
  // (outputs of the other deployment mode are undefined; a warning may be a plain string)
  await Promise.all(
    Object.values(program)
      .filter((o): o is pulumi.Output<string> => pulumi.Output.isInstance(o))
      .map((o) => valueOf(o)),
  );
  await settled(resources);
  return program;
}

/** Look-ups over the recorded resources: all of a type, or the one of a type whose name includes a part. */
export function resourceQueries(resources: MockResource[]) {
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const one = (type: string, nameIncludes = '') => {
    const found = ofType(type).filter((r) => r.name.includes(nameIncludes));
    expect(found).toHaveLength(1);
    return found[0];
  };
  const named = (name: string, type?: string) =>
    resources.find((r) => r.name === name && (type === undefined || r.type === type))!;
  return { ofType, one, named };
}
