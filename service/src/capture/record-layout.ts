import type { PolicyDecision, ServingPolicy } from '../policy/credit-policy.js';
import {
  ENUM_RULES,
  GRADE_FIELD,
  GRADE_LETTERS,
  INPUT_FIELDS,
  NUMBER_RULES,
} from '../contract/loan-application.contract.js';

/*
 * Prediction records kept as columns of numbers until they are written: the numeric inputs and the probability
 * in a Float64Array, every enum (and the grade letter and digit, and the decision) as a one-byte code, the ids as
 * their JSON text in bytes. A record costs a dozen typed-array writes on the request's path and no object or
 * string the garbage collector must trace; the JSON lines are made when a batch is written (by the encoder
 * worker), byte for byte what JSON.stringify made of the record objects they replace (a unit test holds the two
 * together). Measured on Node 24 per record: lines 1.5 us, gzip 1.9 us.
 */

type EnumField = keyof typeof ENUM_RULES;

/**
 * How each input is kept, in INPUT_FIELDS order (the record's key order): a number in `numbers`, or one byte in
 * `codes` (two for the grade: letter and digit). With each, its key and values as JSON text, made once, so that
 * writing a line formats only its numbers.
 */
export type Slot =
  | { kind: 'number'; field: string; key: string }
  | { kind: 'grade'; field: string; key: string; json: string[][] }
  | { kind: 'enum'; field: string; key: string; codeOf: Map<string, number>; json: string[] };

export const LAYOUT: Slot[] = INPUT_FIELDS.map((field, i): Slot => {
  const key = `${i === 0 ? '{' : ','}${JSON.stringify(field)}:`;
  if (field in NUMBER_RULES) return { kind: 'number', field, key };
  if (field === GRADE_FIELD) {
    return {
      kind: 'grade',
      field,
      key,
      json: [...GRADE_LETTERS].map((letter) => Array.from({ length: 10 }, (_, digit) => `${key}"${letter}${digit}"`)),
    };
  }
  const values = ENUM_RULES[field as EnumField] as readonly string[];
  return {
    kind: 'enum',
    field,
    key,
    codeOf: new Map(values.map((v, code) => [v, code])),
    json: values.map((v) => key + JSON.stringify(v)),
  };
});
/** Numbers per record: the numeric inputs, then probability_of_default, then the shadow's (NaN without one). */
export const NUMBERS = LAYOUT.filter((slot) => slot.kind === 'number').length + 2;
/**
 * Codes per record: one per enum, two for the grade, one for the decision, one for the shadow's decision, one for
 * the rating grade (its index in the version's master scale, or NO_RATING).
 */
export const CODES = LAYOUT.reduce((n, slot) => n + (slot.kind === 'grade' ? 2 : slot.kind === 'enum' ? 1 : 0), 0) + 3;
/** A record without a rating grade (a group whose model gave none). */
export const NO_RATING = 0xff;
/** A group scored by no shadow model. */
export const NO_SHADOW = 0xffff;
/** A group decided by no credit policy (records written before policies). */
export const NO_POLICY = 0xffff;
/** Decisions by their one-byte code (refer last: the codes of files written before it keep their meaning). */
export const DECISIONS = ['approve', 'decline', 'refer'] as const satisfies readonly PolicyDecision[];
export const DECISION_CODE = Object.fromEntries(DECISIONS.map((decision, code) => [decision, code])) as Record<
  PolicyDecision,
  number
>;
export const DECISION_TAIL = DECISIONS.map((d) => `,"decision":"${d}"`);
// The enum texts are written as bytes one char code each (JsonBytes.ascii): that is only right for ASCII.
for (const slot of LAYOUT) {
  if (slot.kind !== 'number' && !/^[\x20-\x7e]*$/.test(slot.json.flat().join('')))
    throw new Error(`${slot.field}: values must be ASCII`);
}

/** What every record of one request shares. */
export interface RecordGroup {
  /** When it was answered, in epoch milliseconds (the record says it as an ISO string). */
  time: number;
  requestId: string | null;
  modelVersion: string;
  threshold: number;
  /** The model version's rating grades in order (its master scale), when its answers carry one. */
  ratingGrades?: readonly string[];
  /** The shadow version's scores of the same applications (indexed like them), when one scored them. */
  shadow?: { version: string; threshold: number; scores: ArrayLike<number> };
  /** The credit policy that decided (the shadow's decisions are made under it too), when one did. */
  policy?: ServingPolicy;
}

/**
 * Strings as their JSON text in UTF-8 bytes, one after another: entry i is bytes[ends[i-1], ends[i]). A string
 * held in a JS array until its chunk is written survives scavenges and is promoted (measured: 1.5-2 us of GC per
 * request with ids kept as strings); bytes in one buffer cost the collector nothing.
 */
export interface TextColumn {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/**
 * A batch of records, as it travels to the encoder. Everything is typed arrays, never an object or a string per
 * record or per request: structured clone copies them at memcpy speed, and the GC does not trace them.
 */
export interface RecordChunk {
  rows: number;
  numbers: Float64Array;
  codes: Uint8Array;
  predictionIds: TextColumn;
  applicationIds: TextColumn;
  /** Per request: its first record's index, time, request id, model version (an index into versions) and threshold. */
  groups: number;
  groupStarts: Uint32Array;
  groupTimes: Float64Array;
  groupRequestIds: TextColumn;
  groupVersions: Uint16Array;
  groupThresholds: Float64Array;
  /** Per request: the shadow version (an index into versions), or NO_SHADOW. */
  groupShadowVersions: Uint16Array;
  /** Per request: the credit policy version (an index into versions), or NO_POLICY. */
  groupPolicies: Uint16Array;
  /** Per record: the JSON text of rules_fired, empty for none fired (`[]`). */
  rulesFired: TextColumn;
  versions: string[];
  /** Each version's rating grades (indexed like versions), null for one whose answers carry none. */
  versionGrades: (readonly string[] | null)[];
}

/** What the record of one answered application needs from its answer. */
export interface AnsweredPrediction {
  prediction_id: string;
  probability_of_default: number;
  decision: PolicyDecision;
  rating_grade?: string;
  rules_fired?: readonly string[];
  application_id?: string;
}
