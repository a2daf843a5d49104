import { Ajv } from 'ajv';
import { ENUM_RULES, NUMBER_RULES } from '../contract/loan-application.contract.js';
import { validateAgainstDto } from '../common/validation.js';
import { LoanApplicationDto } from '../contract/loan-application.dto.js';
import { CreditPolicy, Cutoff, decide, KnockOut, Segment } from './credit-policy.js';
import { CREDIT_POLICY_SCHEMA } from './policy-schema.js';

const validateSchema = new Ajv({ allErrors: true, strict: false }).compile(CREDIT_POLICY_SCHEMA);

/** Never a reason to decline or a segment: they are monitored, not decided on (docs/responsible-credit.md). */
const PROTECTED = new Set(['gender', 'marital_status']);
const ORDERED = new Set(['>', '>=', '<', '<=']);
const isNumberField = (field: string) => field in NUMBER_RULES;
const vocabulary = (field: string): readonly string[] | null =>
  field in ENUM_RULES ? ENUM_RULES[field as keyof typeof ENUM_RULES] : null;

function valueProblems(where: string, field: string, values: unknown[]): string[] {
  const problems: string[] = [];
  const known = vocabulary(field);
  for (const value of values) {
    if (isNumberField(field) && typeof value !== 'number')
      problems.push(`${where}: ${field} is a number, not ${JSON.stringify(value)}`);
    if (!isNumberField(field) && typeof value !== 'string')
      problems.push(`${where}: ${field} is text, not ${JSON.stringify(value)}`);
    if (known && typeof value === 'string' && !known.includes(value))
      problems.push(`${where}: ${JSON.stringify(value)} is not a value of ${field} (${known.join(', ')})`);
  }
  return problems;
}

function knockOutProblems(rule: KnockOut, i: number): string[] {
  const where = `knock_outs[${i}] (${rule.code})`;
  const problems: string[] = [];
  if (PROTECTED.has(rule.field)) problems.push(`${where}: ${rule.field} is a protected attribute and never decides`);
  const list = rule.operator === 'in' || rule.operator === 'not_in';
  if (list !== Array.isArray(rule.value))
    problems.push(`${where}: operator ${rule.operator} takes ${list ? 'a list of values' : 'one value'}`);
  if (ORDERED.has(rule.operator) && !isNumberField(rule.field))
    problems.push(`${where}: operator ${rule.operator} needs a number field, ${rule.field} is not one`);
  problems.push(...valueProblems(where, rule.field, Array.isArray(rule.value) ? rule.value : [rule.value]));
  return problems;
}

function cutoffProblems(where: string, cutoff: Cutoff): string[] {
  const { approve_below: approve, decline_from: decline } = cutoff;
  return typeof approve === 'number' && typeof decline === 'number' && approve > decline
    ? [`${where}: approve_below ${approve} is above decline_from ${decline} (cut-offs out of order)`]
    : [];
}

function segmentProblems(segments: Segment[]): string[] {
  const problems: string[] = [];
  segments.forEach((segment, i) => {
    const where = `cutoffs.segments[${i}] (${segment.name})`;
    if (PROTECTED.has(segment.field))
      problems.push(`${where}: ${segment.field} is a protected attribute and never decides`);
    const byValues = segment.in !== undefined;
    const byBand = segment.min !== undefined || segment.max !== undefined;
    if (byValues === byBand)
      problems.push(`${where}: give either in (values) or min/max (a band), not both or neither`);
    if (byValues && isNumberField(segment.field)) problems.push(`${where}: ${segment.field} is a number: use min/max`);
    if (byBand && !isNumberField(segment.field)) problems.push(`${where}: ${segment.field} is text: use in`);
    if (byValues) problems.push(...valueProblems(where, segment.field, segment.in!));
    if (segment.min !== undefined && segment.max !== undefined && segment.min >= segment.max)
      problems.push(`${where}: min ${segment.min} is not below max ${segment.max}`);
    problems.push(...cutoffProblems(where, segment.cutoff));
    segments.slice(0, i).forEach((other) => {
      const overlap =
        other.field !== segment.field ||
        (byValues && (other.in ?? []).some((v) => segment.in!.includes(v))) ||
        (byBand &&
          (other.min ?? -Infinity) < (segment.max ?? Infinity) &&
          (segment.min ?? -Infinity) < (other.max ?? Infinity));
      if (overlap) problems.push(`${where}: overlaps segment ${other.name} (an application could be in both)`);
    });
  });
  return problems;
}

const usesModelThreshold = (policy: CreditPolicy) =>
  [policy.cutoffs.default, ...(policy.cutoffs.segments ?? []).map((s) => s.cutoff)].some(
    (c) => c.approve_below === 'model_threshold' || c.decline_from === 'model_threshold',
  );

/**
 * Every problem with a policy document, each naming where it is: its schema (docs/credit-policy.schema.json), the
 * fields, operators and values against the data contract, protected attributes, cut-offs out of order, overlapping
 * segments, and each example decided as stated. Empty: the policy may be published and served.
 */
export async function policyProblems(doc: unknown): Promise<string[]> {
  if (!validateSchema(doc))
    return (validateSchema.errors ?? []).map(
      (e: { instancePath: string; message?: string }) =>
        `${e.instancePath || '(the document)'}: ${e.message ?? 'is invalid'}`,
    );
  const policy = doc as CreditPolicy;
  const problems: string[] = [];
  const codes = policy.knock_outs.map((rule) => rule.code);
  codes.forEach((code, i) => {
    if (codes.indexOf(code) !== i) problems.push(`knock_outs[${i}]: code ${code} is used twice`);
  });
  policy.knock_outs.forEach((rule, i) => problems.push(...knockOutProblems(rule, i)));
  problems.push(...cutoffProblems('cutoffs.default', policy.cutoffs.default));
  problems.push(...segmentProblems(policy.cutoffs.segments ?? []));
  if (problems.length > 0) return problems;
  for (const [i, example] of policy.examples.entries()) {
    const where = `examples[${i}]`;
    const broken = await validateAgainstDto(LoanApplicationDto, example.application);
    if (broken.length > 0) {
      problems.push(...broken.map((p) => `${where}.application: ${p.message}`));
      continue;
    }
    if (example.model_threshold === undefined && usesModelThreshold(policy)) {
      problems.push(`${where}: the policy's cut-offs follow the model's threshold; give the example's model_threshold`);
      continue;
    }
    // Without model_threshold in the policy, the threshold decides nothing: any number does.
    const outcome = decide(policy, example.application, example.probability_of_default, example.model_threshold ?? 0);
    if (outcome.decision !== example.decision)
      problems.push(`${where}: decided ${outcome.decision}, the example says ${example.decision}`);
    if (example.rules_fired && JSON.stringify(outcome.rules_fired) !== JSON.stringify(example.rules_fired))
      problems.push(
        `${where}: fired ${JSON.stringify(outcome.rules_fired)}, the example says ${JSON.stringify(example.rules_fired)}`,
      );
  }
  return problems;
}
