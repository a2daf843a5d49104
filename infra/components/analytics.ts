import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { PrivateBucket } from './private-bucket.js';

export interface AnalyticsArgs {
  /** The data bucket: the prediction log, the applications table and the outcomes, and Athena's results. */
  dataBucket: PrivateBucket;
  /** Glue names allow lower case, digits and underscores only. */
  databaseName: string;
  /** The most one query may scan: a runaway query costs at most this ($5 per TB scanned). */
  bytesScannedCutoffPerQuery: number;
  tags: Record<string, string>;
}

/** Where Athena writes query results, inside the private data bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** The first day the partition projections cover; later days need no crawler and no new partition. */
export const PROJECTION_START = { day: '2024-01-01', month: '2024-01' } as const;

const INPUTS = [
  { name: 'annual_income', type: 'double' },
  { name: 'debt_to_income_ratio', type: 'double' },
  { name: 'credit_score', type: 'int' },
  { name: 'loan_amount', type: 'double' },
  { name: 'interest_rate', type: 'double' },
  { name: 'gender', type: 'string' },
  { name: 'marital_status', type: 'string' },
  { name: 'education_level', type: 'string' },
  { name: 'employment_status', type: 'string' },
  { name: 'loan_purpose', type: 'string' },
  { name: 'grade_subgrade', type: 'string' },
];
/** Partition projection of a date key: every value from `start` to now, one `unit` apart, named as `format`. */
const dateProjection = (key: string, format: string, start: string, unit: 'DAYS' | 'MONTHS') => ({
  'projection.enabled': 'true',
  [`projection.${key}.type`]: 'date',
  [`projection.${key}.format`]: format,
  [`projection.${key}.range`]: `${start},NOW`,
  [`projection.${key}.interval`]: '1',
  [`projection.${key}.interval.unit`]: unit,
});

/** A snapshot part's columns (what the monthly job writes; the tables spec holds them to its types). */
export const SNAPSHOT_COLUMNS = [
  { name: 'application_id', type: 'string' },
  ...INPUTS,
  { name: 'loan_paid_back', type: 'int' },
  { name: 'observed_at', type: 'timestamp' },
];
/** Where a snapshot's symlink manifest lies (Athena's template syntax; the job writes snapshots/<id>/symlink/). */
export const SNAPSHOT_SYMLINK_TEMPLATE = 'snapshots/${snapshot_id}/symlink/';
const inputsStruct = `struct<${INPUTS.map((c) => `${c.name}:${c.type}`).join(',')}>`;

type TableId = 'predictions' | 'applications' | 'decisions' | 'snapshots' | 'outcomes';

/** A table of JSON objects, one per line (gzip or not), with the columns given. */
const jsonLines = (
  location: pulumi.Input<string>,
  columns: { name: string; type: string }[],
): aws.types.input.glue.CatalogTableStorageDescriptor => ({
  location,
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serDeInfo: {
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    parameters: { 'ignore.malformed.json': 'true' },
  },
  columns,
});

/**
 * The data bucket's tables in the Glue Data Catalog, for Athena: the prediction log (gzip JSON lines by `dt`),
 * the compacted applications (Parquet by `month`), the snapshots (each one's Parquet parts, read through the
 * symlink manifest it writes, by `snapshot_id`), the outcomes (CSV) and the reviewers' final decisions (JSON).
 * Partitions are projected from their names, so a new day, month or snapshot is queryable without a crawler. An
 * Athena workgroup enforces its configuration: results go, SSE-S3 encrypted, to a private prefix of the data
 * bucket, and one query scans at most a set number of bytes. A lender that outgrows the monthly task keeps
 * working with the same tables here.
 */
export class Analytics extends pulumi.ComponentResource {
  readonly database: aws.glue.CatalogDatabase;
  readonly tables: Record<
    'predictions' | 'applications' | 'decisions' | 'snapshots' | 'outcomes',
    aws.glue.CatalogTable
  >;
  readonly workgroup: aws.athena.Workgroup;

  constructor(name: string, args: AnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('loan-default:analytics:Analytics', name, {}, opts);
    if (!/^[a-z0-9_]{1,255}$/.test(args.databaseName))
      throw new Error(
        `Analytics: databaseName must be lower case letters, digits and underscores, got '${args.databaseName}'`,
      );
    const parent = { parent: this };
    const bucket = args.dataBucket.name;
    this.database = new aws.glue.CatalogDatabase(
      `${name}-catalog`,
      {
        name: args.databaseName,
        description: 'Loan default platform: prediction log, applications, decisions, snapshots, outcomes',
        tags: args.tags,
      },
      parent,
    );
    const table = (id: TableId, spec: Omit<aws.glue.CatalogTableArgs, 'databaseName' | 'name' | 'tableType'>) =>
      new aws.glue.CatalogTable(
        `${name}-${id}`,
        { databaseName: this.database.name, name: id, tableType: 'EXTERNAL_TABLE', ...spec },
        parent,
      );

    this.tables = {
      predictions: table('predictions', {
        description: 'Every answer of the service, as it wrote it (gzip JSON lines), by day',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'json',
          ...dateProjection('dt', 'yyyy-MM-dd', PROJECTION_START.day, 'DAYS'),
          'storage.location.template': pulumi.interpolate`s3://${bucket}/predictions/dt=\${dt}/`,
        },
        storageDescriptor: jsonLines(pulumi.interpolate`s3://${bucket}/predictions/`, [
          { name: 'prediction_id', type: 'string' },
          { name: 'application_id', type: 'string' },
          { name: 'inputs', type: inputsStruct },
          { name: 'probability_of_default', type: 'double' },
          { name: 'decision', type: 'string' },
          { name: 'rating_grade', type: 'string' },
          { name: 'threshold', type: 'double' },
          { name: 'model_version', type: 'string' },
          { name: 'timestamp', type: 'string' },
          { name: 'request_id', type: 'string' },
          { name: 'policy_version', type: 'string' },
          { name: 'rules_fired', type: 'array<string>' },
          { name: 'shadow', type: 'struct<model_version:string,probability_of_default:double,decision:string>' },
        ]),
      }),
      decisions: table('decisions', {
        description: "Reviewers' final decisions on referred applications, one JSON object per prediction_id",
        parameters: { classification: 'json' },
        storageDescriptor: jsonLines(pulumi.interpolate`s3://${bucket}/decisions/`, [
          { name: 'prediction_id', type: 'string' },
          { name: 'application_id', type: 'string' },
          { name: 'final_decision', type: 'string' },
          { name: 'reason_code', type: 'string' },
          { name: 'reviewer', type: 'string' },
          { name: 'decided_at', type: 'string' },
          { name: 'policy_decision', type: 'string' },
          { name: 'model_decision', type: 'string' },
          { name: 'override', type: 'boolean' },
          { name: 'probability_of_default', type: 'double' },
          { name: 'threshold', type: 'double' },
          { name: 'model_version', type: 'string' },
          { name: 'policy_version', type: 'string' },
          { name: 'rules_fired', type: 'array<string>' },
          { name: 'answered_at', type: 'string' },
        ]),
      }),
      applications: table('applications', {
        description: "The log compacted: each application's latest answer of the day, typed (Parquet), by month",
        partitionKeys: [{ name: 'month', type: 'string' }],
        parameters: {
          classification: 'parquet',
          ...dateProjection('month', 'yyyy-MM', PROJECTION_START.month, 'MONTHS'),
          'storage.location.template': pulumi.interpolate`s3://${bucket}/applications/month=\${month}/`,
        },
        storageDescriptor: {
          location: pulumi.interpolate`s3://${bucket}/applications/`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: [
            { name: 'application_id', type: 'string' },
            { name: 'prediction_id', type: 'string' },
            ...INPUTS,
            { name: 'probability_of_default', type: 'double' },
            { name: 'decision', type: 'string' },
            { name: 'threshold', type: 'double' },
            { name: 'model_version', type: 'string' },
            { name: 'answered_at', type: 'timestamp' },
            { name: 'request_id', type: 'string' },
            { name: 'shadow_model_version', type: 'string' },
            { name: 'shadow_probability_of_default', type: 'double' },
            { name: 'shadow_decision', type: 'string' },
            { name: 'rating_grade', type: 'string' },
            { name: 'policy_version', type: 'string' },
            { name: 'rules_fired', type: 'string' },
          ],
        },
      }),
      snapshots: table('snapshots', {
        description:
          "The labelled applications each model trained from: a snapshot is its parts (the parent's and its own), " +
          'listed by its symlink manifest; name one in the query (WHERE snapshot_id = ...)',
        partitionKeys: [{ name: 'snapshot_id', type: 'string' }],
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          // A snapshot's id is not a range Athena could enumerate: each query names the one it reads.
          'projection.snapshot_id.type': 'injected',
          'storage.location.template': pulumi.interpolate`s3://${bucket}/${SNAPSHOT_SYMLINK_TEMPLATE}`,
        },
        storageDescriptor: {
          location: pulumi.interpolate`s3://${bucket}/snapshots/`,
          // The location holds a text file of part URIs, not the data: the parts are shared between snapshots.
          inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: SNAPSHOT_COLUMNS,
        },
      }),
      outcomes: table('outcomes', {
        description: "What the lender's systems report back: application_id, loan_paid_back, observed_at (CSV)",
        parameters: { classification: 'csv', 'skip.header.line.count': '1' },
        storageDescriptor: {
          location: pulumi.interpolate`s3://${bucket}/outcomes/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serDeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
            parameters: { separatorChar: ',' },
          },
          columns: [
            { name: 'application_id', type: 'string' },
            { name: 'loan_paid_back', type: 'string' },
            { name: 'observed_at', type: 'string' },
          ],
        },
      }),
    };

    this.workgroup = new aws.athena.Workgroup(
      `${name}-athena`,
      {
        description: 'Queries over the loan default tables: results encrypted in the private data bucket',
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${bucket}/${ATHENA_RESULTS_PREFIX}`,
            encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          },
        },
        tags: args.tags,
      },
      parent,
    );
    this.registerOutputs({ database: this.database.name, workgroup: this.workgroup.name });
  }
}
