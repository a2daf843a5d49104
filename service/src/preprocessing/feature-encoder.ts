import { GRADE_LETTERS, LoanApplication } from '../contract/loan-application.contract.js';
import { FeatureDefinition, FeatureSpec, featureSpecProblems } from './feature-spec.js';

type Column = (application: LoanApplication) => number;

/** Looks a value up in a vocabulary; -1 marks a value outside it (validation keeps that from happening). */
function lookup(vocabulary: readonly string[]): (value: string) => number {
  const index = new Map(vocabulary.map((value, i) => [value, i] as const));
  return (value) => index.get(value) ?? -1;
}

function compileColumn(feature: FeatureDefinition): Column {
  switch (feature.kind) {
    case 'number': {
      const source = feature.source as keyof LoanApplication;
      return (a) => a[source] as number;
    }
    case 'category': {
      const source = feature.source as keyof LoanApplication;
      const find = lookup(feature.vocabulary);
      return (a) => find(a[source] as string);
    }
    case 'grade_letter': {
      const find = lookup(feature.vocabulary);
      return (a) => find(a.grade_subgrade[0]);
    }
    case 'grade_ordinal':
      return (a) => GRADE_LETTERS.indexOf(a.grade_subgrade[0]) * 5 + (a.grade_subgrade.charCodeAt(1) - 49);
    case 'ratio': {
      const numerator = feature.numerator as keyof LoanApplication;
      const denominator = feature.denominator as keyof LoanApplication;
      return (a) => (a[numerator] as number) / (a[denominator] as number);
    }
  }
}

/**
 * Builds the model's float32 input tensor from validated applications, following a feature spec.
 * Compiled once per model load: vocabularies become Maps and each feature a small closure, so the hot
 * path is one pass over the rows writing into one Float32Array (one tensor for a whole batch).
 */
export class FeatureEncoder {
  readonly width: number;
  readonly inputName: string;
  private readonly columns: Column[];

  constructor(readonly spec: FeatureSpec) {
    const problems = featureSpecProblems(spec);
    if (problems.length > 0) throw new Error(`feature spec does not fit the data contract: ${problems.join('; ')}`);
    this.columns = spec.features.map(compileColumn);
    this.width = this.columns.length;
    this.inputName = spec.tensor.input_name;
  }

  encode(applications: readonly LoanApplication[]): Float32Array {
    const out = new Float32Array(applications.length * this.width);
    const columns = this.columns;
    const width = this.width;
    for (let row = 0; row < applications.length; row++) {
      const application = applications[row];
      const base = row * width;
      for (let j = 0; j < width; j++) out[base + j] = columns[j](application);
    }
    return out;
  }
}
