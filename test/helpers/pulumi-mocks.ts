import * as pulumi from '@pulumi/pulumi';

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
 * Pulumi's documented unit-test mocks: every resource the program registers is recorded with its inputs,
 * and provider functions answer with fixed, plausible values. No engine, no cloud.
 */
export function installPulumiMocks(config: Record<string, string>): MockResource[] {
  const resources: MockResource[] = [];
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
              arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${args.name}`,
              registryId: ACCOUNT,
              repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${args.name}`,
              name: args.name,
            });
            break;
          case 'docker-build:index:Image':
            Object.assign(state, { digest: 'sha256:' + 'ab'.repeat(32) });
            break;
          case 'aws:cloudwatch/logGroup:LogGroup':
            Object.assign(state, { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${args.inputs.name}` });
            break;
          case 'aws:ssm/parameter:Parameter':
            Object.assign(state, { name: `/${args.name}`, arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${args.name}` });
            break;
          case 'aws:ec2/instance:Instance':
            Object.assign(state, { publicDns: 'ec2-198-51-100-7.eu-west-1.compute.amazonaws.com' });
            break;
          case 'aws:ec2/eip:Eip':
            Object.assign(state, { allocationId: `eipalloc-${args.name}`, publicIp: '203.0.113.10', publicDns: 'ec2-203-0-113-10.eu-west-1.compute.amazonaws.com' });
            break;
          case 'aws:ecs/taskDefinition:TaskDefinition':
            Object.assign(state, {
              arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${args.inputs.family}:1`,
              arnWithoutRevision: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${args.inputs.family}`,
            });
            break;
          case 'random:index/randomPassword:RandomPassword':
            Object.assign(state, { result: 'generated-admin-token-0123456789abcdef' });
            break;
          default:
            state.arn ??= `arn:aws:mock:${REGION}:${ACCOUNT}:${args.name}`;
            state.name ??= args.name;
        }
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case 'aws:index/getRegion:getRegion':
            return { name: REGION, region: REGION, id: REGION };
          case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
            return { userName: 'AWS', password: 'ecr-password', proxyEndpoint: 'https://registry', authorizationToken: 'x' };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: 'test', id: ACCOUNT };
          case 'aws:ec2/getSubnets:getSubnets':
            return { ids: ['subnet-0aaa', 'subnet-0bbb'] };
          case 'aws:ec2/getVpc:getVpc':
            return { id: 'vpc-0default', cidrBlock: '172.31.0.0/16' };
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

/** The value inside an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Waits until the program has stopped registering resources. */
export async function settled(resources: MockResource[]): Promise<void> {
  let last = -1;
  while (resources.length !== last) {
    last = resources.length;
    await new Promise((r) => setTimeout(r, 150));
  }
}
