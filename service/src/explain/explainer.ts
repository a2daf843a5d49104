import { LoanApplication } from '../contract/loan-application.contract.js';
import { FeatureSpec } from '../preprocessing/feature-spec.js';
import { sigmoid, TreeEnsemble } from './tree-ensemble.js';
import { TreeShap } from './tree-shap.js';

/** One entry of the manifest's reason catalogue: a stable code, the input it speaks of, the features it sums. */
export interface ReasonEntry {
  code: string;
  input: string;
  features: string[];
  text: string;
}

/** manifest.explanation, as training writes it. */
export interface ExplanationManifest {
  method: string;
  file: string;
  sha256: string;
  bytes: number;
  reasons: ReasonEntry[];
  max_reasons: number;
}

/** A principal reason for a decision, in words an applicant can read. */
export interface Reason {
  code: string;
  feature: string;
  value: string | number;
  /** Log-odds this reason adds above the population's average (TreeSHAP). */
  contribution: number;
  text: string;
}

/** Every feature's contribution to one answer, with the average it adds to. */
export interface Contributions {
  base_log_odds: number;
  features: Record<string, number>;
}

/**
 * Explains the answers of one model version: TreeSHAP over its trees, then the reason catalogue turns the
 * contributions into up to max_reasons principal reasons that raise the risk, largest first.
 */
export class Explainer {
  readonly expectedRaw: number;
  private readonly shap: TreeShap;
  /** Per catalogue entry, the tensor columns it sums. */
  private readonly columns: number[][];
  private readonly valueOf: ((application: LoanApplication) => string | number)[];

  constructor(
    readonly trees: TreeEnsemble,
    private readonly catalogue: ReasonEntry[],
    private readonly maxReasons: number,
    spec: FeatureSpec,
  ) {
    const names = spec.features.map((f) => f.name);
    if (trees.features.join() !== names.join())
      throw new Error(`trees.json features ${trees.features.join()} differ from the feature spec's ${names.join()}`);
    const covered = catalogue.flatMap((r) => r.features).sort();
    if (covered.join() !== [...names].sort().join())
      throw new Error('the reason catalogue does not cover every feature exactly once');
    this.expectedRaw = trees.expectedRaw();
    this.shap = new TreeShap(trees);
    this.columns = catalogue.map((r) => r.features.map((f) => names.indexOf(f)));
    this.valueOf = catalogue.map((r) => {
      const feature = spec.features.find((f) => f.name === r.features[0]);
      if (r.features.length === 1 && feature?.kind === 'ratio') {
        const { numerator, denominator } = feature;
        const key = (name: string) => name as keyof LoanApplication;
        return (a) => Math.round(((a[key(numerator)] as number) / (a[key(denominator)] as number)) * 100) / 100;
      }
      return (a) => a[r.input as keyof LoanApplication] as string | number;
    });
  }

  /** Largest gap between the trees' probability and `expected` for each encoded row (the load-time proof). */
  worstGap(x: Float32Array, expected: readonly number[]): number {
    let worst = 0;
    expected.forEach((p, row) => {
      const gap = Math.abs(sigmoid(this.trees.raw(x, row)) - p);
      if (!(gap <= worst)) worst = gap;
    });
    return worst;
  }

  contributions(x: Float32Array, row: number): Float64Array {
    return this.shap.explain(x, row);
  }

  /** The principal reasons behind row `row`: only those that raise the risk, largest first, at most max_reasons. */
  reasons(application: LoanApplication, phi: Float64Array): Reason[] {
    const out: Reason[] = [];
    for (let r = 0; r < this.catalogue.length; r++) {
      let contribution = 0;
      for (const column of this.columns[r]) contribution += phi[column];
      if (!(contribution > 0)) continue;
      const entry = this.catalogue[r];
      const value = this.valueOf[r](application);
      out.push({
        code: entry.code,
        feature: entry.input,
        value,
        contribution,
        text: entry.text.replace('{value}', String(value)),
      });
    }
    return out.sort((a, b) => b.contribution - a.contribution).slice(0, this.maxReasons);
  }

  /** Every feature's contribution, by tensor feature name. */
  named(phi: Float64Array): Contributions {
    return {
      base_log_odds: this.expectedRaw,
      features: Object.fromEntries(this.trees.features.map((name, i) => [name, phi[i]])),
    };
  }
}
