import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { notifyingAlarm } from './alarm.js';
import { cappedName } from './names.js';
import type { PrivateBucket } from './private-bucket.js';

export interface LoadBalancerArgs {
  network: { vpcId: pulumi.Input<string>; subnetIds: pulumi.Input<pulumi.Input<string>[]>; allowedCidr: string };
  /** Where the tasks listen, and the route that says a task may take traffic. */
  target: { port: number; healthCheckPath: string; deregistrationDelayS: number };
  /**
   * HTTPS on 443 with this ACM certificate (HTTP on 80 redirects to it), served as domainName, with a Route 53
   * alias in hostedZoneId when given; without it, HTTP on 80 only.
   */
  https?: { certificateArn: string; domainName: string; hostedZoneId?: string };
  accessLogs: { bucket: PrivateBucket; prefix: string };
  /** The WAF blocks a client IP for the rest of any 5 minutes in which it sent more than this. */
  wafRequestsPer5Min: number;
  alarms: { topic: aws.sns.Topic; p99Ms: number; fiveXxPercent: number };
  tags: Record<string, string>;
}

/** TLS 1.3 with TLS 1.2 fallback and forward-secret ciphers only (AWS's recommended policy). */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/**
 * The ALB's idle timeout: below the service's keep-alive timeout (72 s), so the balancer closes idle connections first.
 */
export const IDLE_TIMEOUT_S = 60;

/**
 * An internet-facing Application Load Balancer for the fleet: reachable on its listener ports from allowedCidr
 * only, invalid headers dropped, access logs in the private data bucket, an AWS WAF web ACL with a rate limit
 * per client IP, a target group of task IPs that health-checks readiness and drains before a task stops, and
 * alarms on the fleet's 5xx rate and p99 latency as the balancer measures them.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly alb: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly listeners: aws.lb.Listener[] = [];
  readonly webAcl: aws.wafv2.WebAcl;
  /** The alias of domainName to the balancer, when the stack was given its hosted zone. */
  readonly dnsRecord: aws.route53.Record | undefined;
  /** What clients call: https://domainName with a certificate, else the balancer's own name over HTTP. */
  readonly url: pulumi.Output<string>;
  /** Empty with HTTPS; otherwise says that traffic (API keys included) crosses the internet in clear. */
  readonly warning: string;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:fleet:LoadBalancer', name, {}, opts);
    const parent = { parent: this };
    const https = args.https;
    const ports = https ? [80, 443] : [80];

    // Rules as their own resources: the tasks' group refers to this one and this one's egress to the tasks'.
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      {
        vpcId: args.network.vpcId,
        description: 'Loan default ALB: listener ports from the allowed network only',
        tags: args.tags,
      },
      parent,
    );
    for (const port of ports) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${port}`,
        {
          securityGroupId: this.securityGroup.id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrIpv4: args.network.allowedCidr,
          description: 'clients',
          tags: args.tags,
        },
        parent,
      );
    }

    this.alb = new aws.lb.LoadBalancer(
      cappedName(name, '-alb'),
      {
        internal: false,
        loadBalancerType: 'application',
        securityGroups: [this.securityGroup.id],
        subnets: args.network.subnetIds,
        dropInvalidHeaderFields: true,
        idleTimeout: IDLE_TIMEOUT_S,
        accessLogs: { bucket: args.accessLogs.bucket.name, prefix: args.accessLogs.prefix, enabled: true },
        tags: args.tags,
      },
      // AWS checks that it may write the logs when the balancer is created: the bucket policy must be in force.
      { parent: this, dependsOn: [args.accessLogs.bucket.policy] },
    );

    this.targetGroup = new aws.lb.TargetGroup(
      cappedName(name, '-tasks'),
      {
        vpcId: args.network.vpcId,
        targetType: 'ip',
        protocol: 'HTTP',
        port: args.target.port,
        deregistrationDelay: args.target.deregistrationDelayS,
        healthCheck: {
          path: args.target.healthCheckPath,
          matcher: '200',
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags: args.tags,
      },
      parent,
    );
    const forward = [{ type: 'forward', targetGroupArn: this.targetGroup.arn }];
    if (https) {
      this.listeners.push(
        new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: this.alb.arn,
            port: 443,
            protocol: 'HTTPS',
            sslPolicy: TLS_POLICY,
            certificateArn: https.certificateArn,
            defaultActions: forward,
            tags: args.tags,
          },
          parent,
        ),
        new aws.lb.Listener(
          `${name}-http`,
          {
            loadBalancerArn: this.alb.arn,
            port: 80,
            protocol: 'HTTP',
            defaultActions: [
              { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
            ],
            tags: args.tags,
          },
          parent,
        ),
      );
    } else {
      this.listeners.push(
        new aws.lb.Listener(
          `${name}-http`,
          { loadBalancerArn: this.alb.arn, port: 80, protocol: 'HTTP', defaultActions: forward, tags: args.tags },
          parent,
        ),
      );
    }
    // An ACM certificate never covers the balancer's elb.amazonaws.com name: with HTTPS, clients call domainName.
    this.url = https ? pulumi.output(`https://${https.domainName}`) : pulumi.interpolate`http://${this.alb.dnsName}`;
    this.dnsRecord = https?.hostedZoneId
      ? new aws.route53.Record(
          `${name}-dns`,
          {
            zoneId: https.hostedZoneId,
            name: https.domainName,
            type: 'A',
            aliases: [{ name: this.alb.dnsName, zoneId: this.alb.zoneId, evaluateTargetHealth: true }],
          },
          parent,
        )
      : undefined;
    this.warning = https
      ? ''
      : 'HTTP only: API keys and applications cross the network in clear. Set certificateArn and domainName (an ACM certificate and the name it covers) for HTTPS on 443.';

    this.webAcl = new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        rules: [
          {
            name: 'rate-per-client-ip',
            priority: 0,
            action: { block: {} },
            statement: {
              rateBasedStatement: { limit: args.wafRequestsPer5Min, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
            },
            visibilityConfig: {
              cloudwatchMetricsEnabled: true,
              metricName: 'rate-per-client-ip',
              sampledRequestsEnabled: true,
            },
          },
        ],
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${name}-waf`, sampledRequestsEnabled: true },
        tags: args.tags,
      },
      parent,
    );
    new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: this.alb.arn, webAclArn: this.webAcl.arn }, parent);

    this.alarms(name, args);
    this.registerOutputs({ url: this.url, alb: this.alb.arn });
  }

  /** The fleet's 5xx share (the tasks' and the balancer's own) and p99 latency, over every task at once. */
  private alarms(name: string, args: LoadBalancerArgs) {
    const dimensions = { LoadBalancer: this.alb.arnSuffix };
    const sum = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions, stat: 'Sum', period: 300 },
    });
    const notify = { topic: args.alarms.topic, tags: args.tags };
    notifyingAlarm(
      `${name}-5xx-rate`,
      {
        alarmDescription: `More than ${args.alarms.fiveXxPercent}% of the fleet's answers were 5xx over 5 minutes`,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: args.alarms.fiveXxPercent,
        evaluationPeriods: 1,
        metricQueries: [
          sum('target5xx', 'HTTPCode_Target_5XX_Count'),
          sum('elb5xx', 'HTTPCode_ELB_5XX_Count'),
          sum('requests', 'RequestCount'),
          {
            id: 'rate',
            label: '5xx percent',
            returnData: true,
            expression: 'IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)',
          },
        ],
        ...notify,
      },
      this,
    );
    notifyingAlarm(
      `${name}-p99-latency`,
      {
        alarmDescription: `The fleet's p99 latency (ALB TargetResponseTime) was above ${args.alarms.p99Ms} ms in 3 of the last 5 minutes`,
        namespace: 'AWS/ApplicationELB',
        metricName: 'TargetResponseTime',
        dimensions,
        extendedStatistic: 'p99',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: args.alarms.p99Ms / 1000,
        ...notify,
      },
      this,
    );
  }
}
