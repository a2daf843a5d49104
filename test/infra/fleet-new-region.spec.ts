import {
  installPulumiMocks,
  MockResource,
  ProgramOutputs,
  resourceQueries,
  runProgram,
  valueOf,
} from '../helpers/pulumi-mocks.js';
import { RESOURCE_TYPES as T, violations } from '../../infra/policy/rules.js';
import { LOG_DELIVERY_PRINCIPAL } from '../../infra/components/storage.js';

/*
 * Fleet mode in a region opened after August 2022 (eu-central-2), with the stack's own VPC. There
 * aws.elb.getServiceAccount fails ("unsupported AWS Region", as the mocks answer too), so the access-log
 * delivery must name the log delivery service principal alone, and the program must never make that call.
 */
const resources: MockResource[] = installPulumiMocks({
  'aws:region': 'eu-central-2',
  'loan-default:allowedCidr': '198.51.100.0/24',
  'loan-default:deployment': 'fleet',
  'loan-default:vpcId': 'vpc-0123456789abcdef0',
  'loan-default:subnetIds': 'subnet-0aaa1111,subnet-0bbb2222',
});
let program: ProgramOutputs;

beforeAll(async () => {
  program = await runProgram(resources);
});

const { ofType, named } = resourceQueries(resources);

it('builds, letting the log delivery service principal alone write the access logs', async () => {
  expect(await valueOf(program.serviceUrl)).toMatch(
    /^http:\/\/loan-default-fleet-alb-\d+\.eu-central-2\.elb\.amazonaws\.com$/,
  );
  const data = named('loan-default-data', T.bucket).state;
  const policy = ofType(T.bucketPolicy).find((p) => p.inputs.bucket === data.bucket)!;
  const delivery = JSON.parse(policy.inputs.policy).Statement.find(
    (s: { Sid: string }) => s.Sid === 'LoadBalancerAccessLogs',
  );
  expect(delivery.Principal).toEqual({ Service: [LOG_DELIVERY_PRINCIPAL] });
});

it('puts the balancer, the tasks, the cache and the retraining task in the VPC and subnets the stack names', () => {
  const subnets = ['subnet-0aaa1111', 'subnet-0bbb2222'];
  expect(ofType('aws:ec2/securityGroup:SecurityGroup').map((g) => g.inputs.vpcId)).toEqual(
    ofType('aws:ec2/securityGroup:SecurityGroup').map(() => 'vpc-0123456789abcdef0'),
  );
  expect(named('loan-default-fleet-alb').inputs.subnets).toEqual(subnets);
  expect(ofType('aws:ecs/service:Service')[0].inputs.networkConfiguration.subnets).toEqual(subnets);
  expect(ofType('aws:elasticache/subnetGroup:SubnetGroup')[0].inputs.subnetIds).toEqual(subnets);
  expect(ofType('aws:scheduler/schedule:Schedule')[0].inputs.target.ecsParameters.networkConfiguration.subnets).toEqual(
    subnets,
  );
});

it('complies with every rule of the policy pack', () => {
  expect(violations(resources.map((r) => ({ type: r.type, name: r.name, props: r.state })))).toEqual([]);
});
