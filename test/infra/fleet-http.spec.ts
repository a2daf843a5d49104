import { installPulumiMocks, MockResource, ProgramOutputs, runProgram, valueOf } from '../helpers/pulumi-mocks.js';
import { violations } from '../../infra/policy/rules.js';

/* Fleet mode without a certificate: HTTP on 80 only, and the outputs say what that costs. */
const resources: MockResource[] = installPulumiMocks({
  'aws:region': 'eu-west-1',
  'loan-default:allowedCidr': '198.51.100.0/24',
  'loan-default:deployment': 'fleet',
});
let program: ProgramOutputs;

beforeAll(async () => {
  program = await runProgram(resources);
});

it('listens on HTTP 80 only, forwards to the tasks, and warns in the outputs', async () => {
  const listeners = resources.filter((r) => r.type === 'aws:lb/listener:Listener');
  expect(listeners.map((l) => [l.inputs.port, l.inputs.protocol, l.inputs.defaultActions[0].type])).toEqual([
    [80, 'HTTP', 'forward'],
  ]);
  const ingress = resources.filter(
    (r) => r.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule' && r.inputs.cidrIpv4,
  );
  expect(ingress.map((r) => r.inputs.fromPort)).toEqual([80]);
  expect(await valueOf(program.serviceUrl)).toMatch(/^http:\/\/loan-default-fleet-alb-/);
  expect(program.fleetWarning).toMatch(/HTTP only.*certificateArn/);
  // The defaults: two tasks, ten at most.
  const target = resources.find((r) => r.type === 'aws:appautoscaling/target:Target')!;
  expect(target.inputs).toMatchObject({ minCapacity: 2, maxCapacity: 10 });
});

it('complies with every rule of the policy pack', () => {
  expect(violations(resources.map((r) => ({ type: r.type, name: r.name, props: r.state })))).toEqual([]);
});
