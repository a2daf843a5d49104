import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { notifyingAlarm } from './alarm.js';

export interface LoggingArgs {
  /** Log group names start with this, e.g. /loan-default/dev. */
  prefix: string;
  retentionDays: number;
  alarmEmail?: string;
  tags: Record<string, string>;
}

/** The service writes JSON lines; these filters read its `status` and `level` fields. */
export const HTTP_5XX_PATTERN = '{ $.status >= 500 }';
export const ERROR_LINE_PATTERN = '{ $.level = "error" }';
/** Lines the service writes (at a limited rate) while it loses records or cannot read its model channel. */
export const DROPPED_RECORDS_PATTERN =
  '{ $.message = "prediction records dropped*" || $.message = "*spill failed, records lost" }';
export const STALE_CHANNEL_PATTERN = '{ $.message = "model channel unreadable*" }';
/**
 * The namespace of the metrics every instance writes as Embedded Metric Format lines
 * (service/src/monitoring/emf-publisher.ts).
 */
export const SERVICE_METRICS_NAMESPACE = 'LoanDefault';
/** The monthly job's metric of production's worst traffic light (0 green, 1 yellow, 2 red) and red's level. */
export const CALIBRATION_LIGHT_METRIC = 'production_calibration_light';
export const RED_LIGHT_LEVEL = 2;
/** A PSI above this means an input's distribution has moved enough to question the model (the usual rule of thumb). */
export const DRIFT_PSI_ALARM = 0.25;

/**
 * Log groups for the service and for retraining, metric filters counting 5xx answers and error lines, alarms on
 * them and on input drift (from the service's EMF lines), all notifying an SNS topic (with an email
 * subscription when one is configured).
 */
export class Logging extends pulumi.ComponentResource {
  readonly serviceLogGroup: aws.cloudwatch.LogGroup;
  readonly retrainingLogGroup: aws.cloudwatch.LogGroup;
  readonly alarmTopic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:logging:Logging', name, {}, opts);
    const parent = { parent: this };
    const namespace = `LoanDefault/${args.prefix.replace(/^\//, '')}`;
    this.serviceLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-service`,
      { name: `${args.prefix}/service`, retentionInDays: args.retentionDays, tags: args.tags },
      parent,
    );
    this.retrainingLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-retraining`,
      { name: `${args.prefix}/retraining`, retentionInDays: args.retentionDays, tags: args.tags },
      parent,
    );
    // Not encrypted with the AWS-managed alias/aws/sns key: CloudWatch alarms cannot publish to a topic under it
    // (its key policy cannot be changed to let them), so no alarm email would ever arrive. Alarm messages carry
    // no data beyond metric names and thresholds.
    this.alarmTopic = new aws.sns.Topic(`${name}-alarms`, { tags: args.tags }, parent);
    // Who may publish: CloudWatch alarms and EventBridge rules of this account (the retraining task's failures).
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    new aws.sns.TopicPolicy(
      `${name}-alarms`,
      {
        arn: this.alarmTopic.arn,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AlarmsAndEventsOfThisAccount',
              Effect: 'Allow',
              Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
              Action: 'sns:Publish',
              Resource: this.alarmTopic.arn,
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
          ],
        }),
      },
      parent,
    );
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarm-email`,
        { topic: this.alarmTopic.arn, protocol: 'email', endpoint: args.alarmEmail },
        parent,
      );
    }

    const watch = (
      id: string,
      group: aws.cloudwatch.LogGroup,
      pattern: string,
      metric: string,
      description: string,
    ) => {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-${id}`,
        {
          logGroupName: group.name,
          pattern,
          metricTransformation: { name: metric, namespace, value: '1', defaultValue: '0', unit: 'Count' },
        },
        parent,
      );
      this.alarms.push(
        notifyingAlarm(
          `${name}-${id}`,
          {
            topic: this.alarmTopic,
            alarmDescription: description,
            namespace,
            metricName: metric,
            statistic: 'Sum',
            period: 300,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            tags: args.tags,
          },
          this,
        ),
      );
    };
    watch(
      'http-5xx',
      this.serviceLogGroup,
      HTTP_5XX_PATTERN,
      'Http5xx',
      'The service answered 5xx in the last 5 minutes',
    );
    watch(
      'service-errors',
      this.serviceLogGroup,
      ERROR_LINE_PATTERN,
      'ServiceErrorLines',
      'The service logged errors (e.g. a rejected model)',
    );
    watch(
      'capture-losses',
      this.serviceLogGroup,
      DROPPED_RECORDS_PATTERN,
      'PredictionRecordsLost',
      'The service dropped or lost prediction records',
    );
    watch(
      'stale-channel',
      this.serviceLogGroup,
      STALE_CHANNEL_PATTERN,
      'ModelChannelUnreadable',
      'The service could not read its model channel (it keeps serving the current model)',
    );
    watch(
      'retraining-errors',
      this.retrainingLogGroup,
      ERROR_LINE_PATTERN,
      'RetrainingErrorLines',
      'Retraining logged errors',
    );
    // Read from the EMF lines of every instance (one or a fleet): the largest PSI of any input, without dimensions.
    this.alarms.push(
      notifyingAlarm(
        `${name}-input-drift`,
        {
          topic: this.alarmTopic,
          alarmDescription: `An input's PSI against the training data was above ${DRIFT_PSI_ALARM} for 10 minutes (see /monitoring/drift)`,
          namespace: SERVICE_METRICS_NAMESPACE,
          metricName: 'drift_psi_max',
          statistic: 'Maximum',
          period: 300,
          evaluationPeriods: 2,
          threshold: DRIFT_PSI_ALARM,
          comparisonOperator: 'GreaterThanThreshold',
          tags: args.tags,
        },
        this,
      ),
    );
    // Read from the monthly job's EMF line: production's worst traffic light on the month's matured outcomes.
    this.alarms.push(
      notifyingAlarm(
        `${name}-production-calibration`,
        {
          topic: this.alarmTopic,
          alarmDescription:
            "A rating grade of production's probabilities of default was red in the monthly backtest (defaults above " +
            'the promise at 99.9%; see the retraining report)',
          namespace: SERVICE_METRICS_NAMESPACE,
          metricName: CALIBRATION_LIGHT_METRIC,
          statistic: 'Maximum',
          // The job runs monthly: a day's period holds its one line, and a month without one is not an alarm.
          period: 86_400,
          evaluationPeriods: 1,
          threshold: RED_LIGHT_LEVEL,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          tags: args.tags,
        },
        this,
      ),
    );
    this.registerOutputs({
      serviceLogGroup: this.serviceLogGroup.name,
      retrainingLogGroup: this.retrainingLogGroup.name,
      alarmTopic: this.alarmTopic.arn,
    });
  }
}
