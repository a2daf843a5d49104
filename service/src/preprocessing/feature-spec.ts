import {
  ENUM_RULES,
  EnumField,
  GRADE_FIELD,
  GRADE_LETTERS,
  INPUT_FIELDS,
  NUMBER_RULES,
  NumberField,
} from '../contract/loan-application.contract.js';

/** The feature spec as training/loan_default/features.py writes it into the manifest. */
export type FeatureDefinition = (
  | { name: string; kind: 'number'; source: string }
  | { name: string; kind: 'category'; source: string; vocabulary: string[] }
  | { name: string; kind: 'grade_letter'; source: string; vocabulary: string[] }
  | { name: string; kind: 'grade_ordinal'; source: string }
  | { name: string; kind: 'ratio'; numerator: string; denominator: string }
) & { monotone?: -1 | 0 | 1 };

export interface FeatureSpec {
  spec_version: number;
  /** Every input the request carries (all of the data contract). */
  inputs: string[];
  tensor: { input_name: string; dtype: string; shape: (number | null)[] };
  features: FeatureDefinition[];
  /** Inputs kept for monitoring only (the protected attributes, unless training used them). */
  monitoring_only?: string[];
  protected_inputs_used?: boolean;
  /** Whether training held risk monotone in the features marked `monotone` (+1 up, -1 down, 0 free). */
  monotone_constraints?: boolean;
}

export const SUPPORTED_SPEC_VERSION = 1;

const isNumberField = (name: string): name is NumberField => name in NUMBER_RULES;
const isEnumField = (name: string): name is EnumField => name in ENUM_RULES;

/**
 * Problems that stop a spec from being served by this service's data contract; empty when it fits.
 * A spec fits when every feature reads inputs the contract guarantees, with types that match, and every
 * vocabulary value is one the contract allows (so no validated request can fall outside a vocabulary).
 */
export function featureSpecProblems(spec: FeatureSpec | undefined): string[] {
  if (!spec || !Array.isArray(spec.features)) return ['feature_spec is missing or has no features'];
  const problems: string[] = [];
  if (spec.spec_version !== SUPPORTED_SPEC_VERSION) {
    problems.push(
      `feature_spec.spec_version ${spec.spec_version} is not supported (expected ${SUPPORTED_SPEC_VERSION})`,
    );
  }
  if (spec.tensor?.dtype !== 'float32') problems.push(`tensor dtype must be float32, got ${spec.tensor?.dtype}`);
  if (!spec.tensor?.input_name) problems.push('tensor.input_name is missing');
  const known = new Set<string>(INPUT_FIELDS);
  for (const input of spec.inputs ?? []) {
    if (!known.has(input)) problems.push(`input '${input}' is not a field of the data contract`);
  }
  const names = new Set<string>();
  for (const feature of spec.features) {
    if (names.has(feature.name)) problems.push(`feature '${feature.name}' appears twice`);
    names.add(feature.name);
    switch (feature.kind) {
      case 'number':
        if (!isNumberField(feature.source))
          problems.push(`feature '${feature.name}': '${feature.source}' is not a numeric input`);
        break;
      case 'category': {
        if (!isEnumField(feature.source)) {
          problems.push(`feature '${feature.name}': '${feature.source}' is not an enum input`);
          break;
        }
        const allowed = new Set<string>(ENUM_RULES[feature.source]);
        const outside = (feature.vocabulary ?? []).filter((v) => !allowed.has(v));
        if (!Array.isArray(feature.vocabulary) || feature.vocabulary.length === 0) {
          problems.push(`feature '${feature.name}': vocabulary is empty`);
        } else if (outside.length > 0) {
          problems.push(
            `feature '${feature.name}': vocabulary values ${JSON.stringify(outside)} are not allowed by the contract`,
          );
        }
        break;
      }
      case 'grade_letter':
        if (feature.source !== GRADE_FIELD)
          problems.push(`feature '${feature.name}': grade_letter must read ${GRADE_FIELD}`);
        if (
          !Array.isArray(feature.vocabulary) ||
          feature.vocabulary.some((v) => v.length !== 1 || !GRADE_LETTERS.includes(v))
        ) {
          problems.push(`feature '${feature.name}': vocabulary must hold letters A-G`);
        }
        break;
      case 'grade_ordinal':
        if (feature.source !== GRADE_FIELD)
          problems.push(`feature '${feature.name}': grade_ordinal must read ${GRADE_FIELD}`);
        break;
      case 'ratio':
        if (!isNumberField(feature.numerator) || !isNumberField(feature.denominator)) {
          problems.push(`feature '${feature.name}': ratio needs two numeric inputs`);
        } else if (!('exclusive_min' in NUMBER_RULES[feature.denominator])) {
          problems.push(`feature '${feature.name}': denominator '${feature.denominator}' may be 0 under the contract`);
        }
        break;
      default:
        problems.push(
          `feature '${(feature as { name: string }).name}': unknown kind '${(feature as { kind: string }).kind}'`,
        );
    }
  }
  const width = spec.tensor?.shape?.[1];
  if (width !== undefined && width !== null && width !== spec.features.length) {
    problems.push(`tensor width ${width} does not match ${spec.features.length} features`);
  }
  return problems;
}
