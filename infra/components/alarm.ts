import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';

/**
 * A CloudWatch alarm that tells the alarm topic when it fires and when it clears; no data means nothing to
 * report (a quiet service is not an alarm).
 */
export function notifyingAlarm(
  name: string,
  args: { topic: aws.sns.Topic; tags: Record<string, string> } & Omit<
    aws.cloudwatch.MetricAlarmArgs,
    'alarmActions' | 'okActions' | 'tags'
  >,
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm {
  const { topic, ...alarm } = args;
  return new aws.cloudwatch.MetricAlarm(
    name,
    { treatMissingData: 'notBreaching', ...alarm, alarmActions: [topic.arn], okActions: [topic.arn] },
    { parent },
  );
}
