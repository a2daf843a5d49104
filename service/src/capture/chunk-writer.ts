import type { LoanApplication } from '../contract/loan-application.contract.js';
import { decide } from '../policy/credit-policy.js';
import { BUILT_IN_POLICY } from '../policy/default-policy.js';
import { CODES, DECISION_CODE, LAYOUT, NO_POLICY, NO_RATING, NO_SHADOW, NUMBERS } from './record-layout.js';
import type { AnsweredPrediction, RecordChunk, RecordGroup, TextColumn } from './record-layout.js';

/*
 * Writes prediction records into a chunk's columns on the request's path: a dozen typed-array writes per record,
 * no object or string left behind for the garbage collector (record-layout.ts says how each input is kept).
 */

/** True when a string's JSON text is itself in quotes: printable ASCII without quotes or backslashes. */
function plainAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 34 || code === 92) return false;
  }
  return true;
}

/** Fills a TextColumn of at most `capacity` entries. */
class TextColumnWriter {
  private bytes: Buffer;
  private readonly ends: Uint32Array;
  private length = 0;
  count = 0;

  constructor(capacity: number, bytesPerEntry: number) {
    this.bytes = Buffer.alloc(capacity * bytesPerEntry);
    this.ends = new Uint32Array(capacity);
  }

  /** Appends JSON text as it is ('' for an entry with none). */
  pushJson(json: string): void {
    if (json.length > 0) this.write(json, true);
    this.ends[this.count++] = this.length;
  }

  /** Appends the JSON text of `value` (null for null). */
  push(value: string | null): void {
    if (value === null) this.write('null');
    else if (plainAscii(value)) this.write(`"${value}"`);
    else this.write(JSON.stringify(value), true);
    this.ends[this.count++] = this.length;
  }

  private write(text: string, utf8 = false): void {
    const size = utf8 ? Buffer.byteLength(text) : text.length;
    if (this.length + size > this.bytes.length) {
      const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.length + size));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.length += this.bytes.write(text, this.length, utf8 ? 'utf8' : 'latin1');
  }

  /** The entries so far, as a column of their own (copied; the writer starts over). */
  take(): TextColumn {
    // A copy: Buffer's own slice() would share the bytes this writer overwrites next.
    const column = { bytes: new Uint8Array(this.bytes.subarray(0, this.length)), ends: this.ends.slice(0, this.count) };
    this.length = 0;
    this.count = 0;
    return column;
  }
}

/** Fills one chunk of at most `capacity` records. */
export class ChunkWriter {
  private readonly numbers: Float64Array;
  private readonly codes: Uint8Array;
  private readonly predictionIds: TextColumnWriter;
  private readonly applicationIds: TextColumnWriter;
  private readonly groupStarts: Uint32Array;
  private readonly groupTimes: Float64Array;
  private readonly groupRequestIds: TextColumnWriter;
  private readonly groupVersions: Uint16Array;
  private readonly groupThresholds: Float64Array;
  private readonly groupShadowVersions: Uint16Array;
  private readonly groupPolicies: Uint16Array;
  private readonly rulesFired: TextColumnWriter;
  private versions: string[] = [];
  private versionGrades: (readonly string[] | null)[] = [];
  private groups = 0;
  rows = 0;

  constructor(readonly capacity: number) {
    this.numbers = new Float64Array(capacity * NUMBERS);
    this.codes = new Uint8Array(capacity * CODES);
    // A UUID in quotes is 38 bytes; most applications carry a short id or none.
    this.predictionIds = new TextColumnWriter(capacity, 38);
    this.applicationIds = new TextColumnWriter(capacity, 16);
    // A request is at least one record, so a chunk holds at most `capacity` of them.
    this.groupStarts = new Uint32Array(capacity);
    this.groupTimes = new Float64Array(capacity);
    this.groupRequestIds = new TextColumnWriter(capacity, 40);
    this.groupVersions = new Uint16Array(capacity);
    this.groupThresholds = new Float64Array(capacity);
    this.groupShadowVersions = new Uint16Array(capacity);
    this.groupPolicies = new Uint16Array(capacity);
    // Most answers fire no rule: an empty entry.
    this.rulesFired = new TextColumnWriter(capacity, 2);
  }

  get room(): number {
    return this.capacity - this.rows;
  }

  /** Appends records for answers[from, from + count); the caller checks room (at least one, count >= 1). */
  append(
    applications: readonly LoanApplication[],
    answers: readonly AnsweredPrediction[],
    from: number,
    count: number,
    group: RecordGroup,
  ): void {
    const g = this.groups++;
    this.groupStarts[g] = this.rows;
    this.groupTimes[g] = group.time;
    this.groupRequestIds.push(group.requestId);
    this.groupVersions[g] = this.versionIndex(group.modelVersion, group.ratingGrades ?? null);
    const grades = group.ratingGrades;
    this.groupThresholds[g] = group.threshold;
    const shadow = group.shadow;
    this.groupShadowVersions[g] = shadow ? this.versionIndex(shadow.version, null) : NO_SHADOW;
    const policy = group.policy;
    this.groupPolicies[g] = policy ? this.versionIndex(policy.policy_version, null) : NO_POLICY;
    // The shadow's decisions: under the policy that decided (the built-in one, the threshold alone, when none did),
    // at the shadow version's own threshold.
    const shadowPolicy = policy ?? BUILT_IN_POLICY;
    const numbers = this.numbers;
    const codes = this.codes;
    for (let i = from; i < from + count; i++) {
      const application = applications[i] as unknown as Record<string, unknown>;
      const answer = answers[i];
      let n = this.rows * NUMBERS;
      let c = this.rows * CODES;
      for (const slot of LAYOUT) {
        const value = application[slot.field];
        if (slot.kind === 'number') numbers[n++] = value as number;
        else if (slot.kind === 'enum') codes[c++] = slot.codeOf.get(value as string)!;
        else {
          codes[c++] = (value as string).charCodeAt(0) - 65; // A-G
          codes[c++] = (value as string).charCodeAt(1) - 48; // 1-5
        }
      }
      numbers[n] = answer.probability_of_default;
      codes[c] = DECISION_CODE[answer.decision];
      // A scale has a handful of grades: indexOf over them is a few comparisons.
      const rating = grades && answer.rating_grade !== undefined ? grades.indexOf(answer.rating_grade) : -1;
      codes[c + 2] = rating >= 0 ? rating : NO_RATING;
      if (shadow) {
        numbers[n + 1] = shadow.scores[i];
        codes[c + 1] =
          DECISION_CODE[decide(shadowPolicy, applications[i], shadow.scores[i], shadow.threshold).decision];
      }
      const rules = answer.rules_fired;
      this.rulesFired.pushJson(rules && rules.length > 0 ? JSON.stringify(rules) : '');
      this.predictionIds.push(answer.prediction_id);
      this.applicationIds.push(answer.application_id ?? null);
      this.rows++;
    }
  }

  private versionIndex(version: string, grades: readonly string[] | null): number {
    const known = this.versions.indexOf(version);
    if (known >= 0) {
      // A version seen first as a shadow (no grades) and then answering: its grades now.
      if (grades && !this.versionGrades[known]) this.versionGrades[known] = grades;
      return known;
    }
    this.versionGrades.push(grades);
    return this.versions.push(version) - 1;
  }

  /** The records so far, as a chunk of their own (copied; the writer starts over). */
  take(): RecordChunk {
    const chunk: RecordChunk = {
      rows: this.rows,
      numbers: this.numbers.slice(0, this.rows * NUMBERS),
      codes: this.codes.slice(0, this.rows * CODES),
      predictionIds: this.predictionIds.take(),
      applicationIds: this.applicationIds.take(),
      groups: this.groups,
      groupStarts: this.groupStarts.slice(0, this.groups),
      groupTimes: this.groupTimes.slice(0, this.groups),
      groupRequestIds: this.groupRequestIds.take(),
      groupVersions: this.groupVersions.slice(0, this.groups),
      groupThresholds: this.groupThresholds.slice(0, this.groups),
      groupShadowVersions: this.groupShadowVersions.slice(0, this.groups),
      groupPolicies: this.groupPolicies.slice(0, this.groups),
      rulesFired: this.rulesFired.take(),
      versions: this.versions,
      versionGrades: this.versionGrades,
    };
    this.versions = [];
    this.versionGrades = [];
    this.groups = 0;
    this.rows = 0;
    return chunk;
  }
}
