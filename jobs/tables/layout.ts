/**
 * The data root's tables (a directory or s3://bucket/prefix):
 *   predictions/dt=YYYY-MM-DD/part-*.jsonl.gz        the service's prediction log, as written
 *   applications/month=YYYY-MM/part-dt=DAY-ID.parquet the log compacted: one row per application_id per day
 *   applications/_ledger/dt=DAY-ID.json               which log files each part holds (written last: its commit)
 */
export const PREDICTIONS = 'predictions/';
export const APPLICATIONS = 'applications/';
export const LEDGER = `${APPLICATIONS}_ledger/`;

export const LOG_FILE = /^predictions\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.jsonl\.gz$/;

/** The typed columns of an applications part, in order: what analysts query and the jobs join. */
export const APPLICATION_COLUMNS = `
  application_id VARCHAR, prediction_id VARCHAR,
  annual_income DOUBLE, debt_to_income_ratio DOUBLE, credit_score INTEGER, loan_amount DOUBLE, interest_rate DOUBLE,
  gender VARCHAR, marital_status VARCHAR, education_level VARCHAR, employment_status VARCHAR, loan_purpose VARCHAR,
  grade_subgrade VARCHAR, probability_of_default DOUBLE, decision VARCHAR, threshold DOUBLE, model_version VARCHAR,
  answered_at TIMESTAMP, request_id VARCHAR,
  shadow_model_version VARCHAR, shadow_probability_of_default DOUBLE, shadow_decision VARCHAR, rating_grade VARCHAR,
  policy_version VARCHAR, rules_fired VARCHAR`;
