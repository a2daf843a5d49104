import type { ExplanationManifest } from '../explain/explainer.js';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { FeatureSpec } from '../preprocessing/feature-spec.js';

export interface NumericReference {
  type: 'numeric';
  edges: number[];
  proportions: number[];
}
export interface CategoricalReference {
  type: 'categorical';
  categories: string[];
  proportions: number[];
}
export type Reference = NumericReference | CategoricalReference;

export interface Canary {
  inputs: LoanApplication;
  probability_of_default: number;
}

/** manifest.json as training writes it (the fields the service reads; the rest is kept as is). */
export interface ModelManifest {
  manifest_version: number;
  name: string;
  version: string;
  created_at: string;
  /** What the version was trained on; `frame` says how a job chose the rows from a snapshot (window, cap). */
  training_data: {
    uri: string;
    sha256: string;
    rows: number;
    ignored_columns?: string[];
    frame?: Record<string, unknown>;
  };
  libraries: Record<string, string>;
  feature_spec: FeatureSpec;
  onnx: { file: string; sha256: string; bytes: number; input_name: string; output_name: string };
  metrics: Record<string, number | string> & { roc_auc: number };
  /**
   * The version's rating grades as bands of probability of default (a grade holds (previous upper, upper]), chosen
   * at training and fixed with the version; absent on versions trained before master scales.
   */
  master_scale?: { grades: { grade: string; upper: number }[]; method?: string };
  threshold: { value: number; rule: string; description: string; cost_ratio?: number };
  canary_tolerance: number;
  canaries: Canary[];
  /** What TreeSHAP needs (absent in versions made before reasons existed: they serve without reasons). */
  explanation?: ExplanationManifest;
  reference: { rows: number; inputs: Record<string, Reference>; score: NumericReference };
}

/** channels/<channel>.json: a pointer to a version. */
export interface ChannelPointer {
  version: string;
  updated_at: string;
  previous?: string | null;
}

/** channels/shadow.json and channels/canary.json: a challenger, or none (file absent, or version null). */
export interface ChallengerPointer {
  version: string | null;
  updated_at: string;
  /** canary only: the share of applications it answers, 0 to MAX_CANARY_WEIGHT. */
  weight?: number;
}
export type ChallengerChannel = 'shadow' | 'canary';
export const CHALLENGER_CHANNELS: readonly ChallengerChannel[] = ['shadow', 'canary'];
export const MAX_CANARY_WEIGHT = 0.5;

export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';
export const MODEL_CARD_FILE = 'model-card.html';
export const TREES_FILE = 'trees.json';

/** Versions sort by time (20261124T035000Z-3f2a9c1); this is also the rule for a safe path segment. */
export const VERSION_PATTERN = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7,64}$/;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
