/**
 * The book-scoring state machine in Amazon States Language (JSONPath), as plain data so that a test can check it
 * with asl-validator without AWS. An execution's input is `{"book": "2026-12"}`: the parts under
 * `s3://<bucket>/book-inputs/2026-12/` are listed by the Distributed Map's item reader, each is scored by one Fargate task
 * (`score-book --in s3://<bucket>/<part> --single-part`: a folder's placeholder key is refused, never read as the
 * whole book), and a last task writes the run's manifest and `_SUCCESS` under
 * `s3://<bucket>/books/2026-12/`. The map's own summary (ResultWriter) lands beside them.
 */
export const BOOK_INPUTS_PREFIX = 'book-inputs/';
export const BOOKS_PREFIX = 'books/';
/** The container of the task definition that the overrides name. */
export const BOOK_CONTAINER = 'score-book';

export interface BookScoringDefinitionArgs {
  bucket: string;
  clusterArn: string;
  taskDefinitionArn: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** Parts scored at once. */
  maxConcurrency: number;
  /** The share of parts that may fail (after their retries) with the run still going on to its manifest. */
  toleratedFailurePercentage: number;
  retry: { maxAttempts: number; intervalSeconds: number; backoffRate: number };
  /** How long one part's task may run. */
  partTimeoutSeconds: number;
  /** score-book's options for every part: --channel or --version, --reasons, --key, --max-reject-rate. */
  options: string[];
}

/**
 * A string literal inside an intrinsic function, its quote and backslash escaped. Braces are left alone: in a
 * States.Format template `{}` is the placeholder, and the names put in templates here (a bucket, the prefixes,
 * score-book's options) hold no other brace.
 */
const literal = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

export function bookScoringDefinition(args: BookScoringDefinitionArgs) {
  const runTask = (command: string) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::ecs:runTask.sync',
    Parameters: {
      Cluster: args.clusterArn,
      TaskDefinition: args.taskDefinitionArn,
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: args.subnetIds,
          SecurityGroups: args.securityGroupIds,
          AssignPublicIp: 'ENABLED',
        },
      },
      Overrides: { ContainerOverrides: [{ Name: BOOK_CONTAINER, 'Command.$': command }] },
    },
  });
  const out = `States.Format(${literal(`s3://${args.bucket}/${BOOKS_PREFIX}{}`)}, $.book)`;
  const options = args.options.map(literal).join(', ');
  const retry = [
    {
      // A task that stopped with a failure, ECS out of capacity or throttled: tried again, further apart each time.
      ErrorEquals: ['States.TaskFailed', 'ECS.AmazonECSException', 'States.Timeout'],
      IntervalSeconds: args.retry.intervalSeconds,
      MaxAttempts: args.retry.maxAttempts,
      BackoffRate: args.retry.backoffRate,
      JitterStrategy: 'FULL',
    },
  ];
  return {
    Comment:
      'Scores a loan book: one Fargate task per Parquet or CSV part under book-inputs/<book>/, then the manifest',
    StartAt: 'ScoreParts',
    States: {
      ScoreParts: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Parameters: {
            Bucket: args.bucket,
            'Prefix.$': `States.Format(${literal(`${BOOK_INPUTS_PREFIX}{}/`)}, $.book)`,
          },
        },
        ItemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'book.$': '$.book' },
        MaxConcurrency: args.maxConcurrency,
        ToleratedFailurePercentage: args.toleratedFailurePercentage,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'ScorePart',
          States: {
            ScorePart: {
              ...runTask(
                `States.Array('--in', States.Format(${literal(`s3://${args.bucket}/{}`)}, $.key), '--out', ${out}, ` +
                  `'--single-part'${options ? `, ${options}` : ''})`,
              ),
              TimeoutSeconds: args.partTimeoutSeconds,
              Retry: retry,
              End: true,
            },
          },
        },
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Parameters: {
            Bucket: args.bucket,
            'Prefix.$': `States.Format(${literal(`${BOOKS_PREFIX}{}/_map`)}, $.book)`,
          },
        },
        ResultPath: null,
        Next: 'WriteManifest',
      },
      WriteManifest: {
        ...runTask(
          `States.Array('--in', States.Format(${literal(`s3://${args.bucket}/${BOOK_INPUTS_PREFIX}{}`)}, $.book), ` +
            `'--out', ${out}, '--finalize'${options ? `, ${options}` : ''})`,
        ),
        TimeoutSeconds: 900,
        Retry: retry,
        End: true,
      },
    },
  };
}
