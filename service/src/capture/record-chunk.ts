import { gzipSync } from 'node:zlib';
import {
  ENUM_RULES,
  GRADE_FIELD,
  GRADE_LETTERS,
  INPUT_FIELDS,
  LoanApplication,
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
type Slot =
  | { kind: 'number'; field: string; key: string }
  | { kind: 'grade'; field: string; key: string; json: string[][] }
  | { kind: 'enum'; field: string; key: string; codeOf: Map<string, number>; json: string[] };

const LAYOUT: Slot[] = INPUT_FIELDS.map((field, i): Slot => {
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
const NUMBERS = LAYOUT.filter((slot) => slot.kind === 'number').length + 2;
/** Codes per record: one per enum, two for the grade, one for the decision, one for the shadow's decision. */
const CODES = LAYOUT.reduce((n, slot) => n + (slot.kind === 'grade' ? 2 : slot.kind === 'enum' ? 1 : 0), 0) + 2;
/** A group scored by no shadow model. */
const NO_SHADOW = 0xffff;
const DECISIONS = ['approve', 'decline'] as const;
const DECISION_TAIL = DECISIONS.map((d) => `,"decision":"${d}"`);
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
  /** The shadow version's scores of the same applications (indexed like them), when one scored them. */
  shadow?: { version: string; threshold: number; scores: ArrayLike<number> };
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
  versions: string[];
}

/** What the record of one answered application needs from its answer. */
export interface AnsweredPrediction {
  prediction_id: string;
  probability_of_default: number;
  decision: 'approve' | 'decline';
  application_id?: string;
}

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
  private versions: string[] = [];
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
    this.groupVersions[g] = this.versionIndex(group.modelVersion);
    this.groupThresholds[g] = group.threshold;
    const shadow = group.shadow;
    this.groupShadowVersions[g] = shadow ? this.versionIndex(shadow.version) : NO_SHADOW;
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
      codes[c] = answer.decision === 'decline' ? 1 : 0;
      if (shadow) {
        numbers[n + 1] = shadow.scores[i];
        codes[c + 1] = shadow.scores[i] >= shadow.threshold ? 1 : 0;
      }
      this.predictionIds.push(answer.prediction_id);
      this.applicationIds.push(answer.application_id ?? null);
      this.rows++;
    }
  }

  private versionIndex(version: string): number {
    const known = this.versions.indexOf(version);
    return known >= 0 ? known : this.versions.push(version) - 1;
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
      versions: this.versions,
    };
    this.versions = [];
    this.groups = 0;
    this.rows = 0;
    return chunk;
  }
}

/**
 * JSON text written straight into bytes: ids copied from their columns' bytes, the rest of a line as one ASCII
 * string, with no array of lines joined and encoded again (that, and a timestamp per request, cost 4 us per record).
 */
class JsonBytes {
  bytes = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  /** Text known to be ASCII (keys, numbers, codes' JSON): short text by char codes, which beats a native call. */
  ascii(text: string): void {
    this.room(text.length);
    if (text.length > 64) {
      this.length += this.bytes.write(text, this.length, 'latin1');
      return;
    }
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Entry i of a column: its JSON text. */
  entry(column: TextColumn, i: number): void {
    this.copy(column.bytes, i === 0 ? 0 : column.ends[i - 1], column.ends[i]);
  }

  /** bytes[start, end), copied a byte at a time: for a few dozen bytes that beats making a subarray to set(). */
  copy(from: Uint8Array, start = 0, end = from.length): void {
    this.room(end - start);
    const bytes = this.bytes;
    let at = this.length;
    for (let k = start; k < end; k++) bytes[at++] = from[k];
    this.length = at;
  }

  text(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

/** The JSON text of one partition's records: its lines as bytes and how many. */
export interface PartitionText {
  records: number;
  text: Buffer;
}

/**
 * The chunk's records as JSON lines grouped by partition (dt=YYYY-MM-DD of their timestamp), in order. Each line
 * is what JSON.stringify gave for the PredictionRecord object: same keys, same order, same number text (inputs
 * and probabilities are finite, for which String and JSON.stringify agree).
 */
export function chunkText(chunk: RecordChunk): Map<string, PartitionText> {
  const partitions = new Map<string, { records: number; out: JsonBytes }>();
  const { groupStarts, numbers, codes } = chunk;
  // Requests answered in the same millisecond with the same model share their timestamp and tail text: made once.
  let time = NaN;
  let timestamp = '';
  let part: { records: number; out: JsonBytes } | undefined;
  let tail = '';
  let tailOf = '';
  for (let g = 0; g < chunk.groups; g++) {
    const start = groupStarts[g];
    const end = g + 1 < chunk.groups ? groupStarts[g + 1] : chunk.rows;
    const threshold = chunk.groupThresholds[g];
    const version = chunk.groupVersions[g];
    if (chunk.groupTimes[g] !== time) {
      time = chunk.groupTimes[g];
      timestamp = new Date(time).toISOString();
      const partition = `dt=${timestamp.slice(0, 10)}`;
      part = partitions.get(partition);
      if (!part) partitions.set(partition, (part = { records: 0, out: new JsonBytes() }));
    }
    if (tailOf !== `${timestamp} ${version} ${threshold}`) {
      tailOf = `${timestamp} ${version} ${threshold}`;
      tail = `,"threshold":${threshold},"model_version":${JSON.stringify(chunk.versions[version])},"timestamp":"${timestamp}","request_id":`;
    }
    part!.records += end - start;
    const out = part!.out;
    for (let row = start; row < end; row++) {
      let n = row * NUMBERS;
      let c = row * CODES;
      out.ascii('{"prediction_id":');
      out.entry(chunk.predictionIds, row);
      out.ascii(',"application_id":');
      out.entry(chunk.applicationIds, row);
      let line = ',"inputs":';
      for (const slot of LAYOUT) {
        if (slot.kind === 'number') line += slot.key + numbers[n++];
        else if (slot.kind === 'enum') line += slot.json[codes[c++]];
        else {
          line += slot.json[codes[c]][codes[c + 1]];
          c += 2;
        }
      }
      out.ascii(`${line}},"probability_of_default":${numbers[n]}${DECISION_TAIL[codes[c]]}${tail}`);
      out.entry(chunk.groupRequestIds, g);
      const shadow = chunk.groupShadowVersions[g];
      if (shadow !== NO_SHADOW) {
        out.ascii(
          `,"shadow":{"model_version":${JSON.stringify(chunk.versions[shadow])},"probability_of_default":${numbers[n + 1]}${DECISION_TAIL[codes[c + 1]]}}`,
        );
      }
      out.ascii('}\n');
    }
  }
  return new Map([...partitions].map(([partition, { records, out }]) => [partition, { records, text: out.text() }]));
}

/**
 * gzip level 1: the prediction log is written once and read monthly. Measured on 1,000 records: level 6 took
 * 4.0 ms of CPU against 1.5 ms, for a file 6% smaller.
 */
export const GZIP_OPTIONS = { level: 1 };

/** One file's worth of a chunk: its partition, how many records, the gzip JSON-lines bytes. */
export interface EncodedPart {
  partition: string;
  records: number;
  body: Uint8Array;
}

/** A chunk as the files it becomes (synchronous: run in the encoder worker, or on the main thread as a fallback). */
export function encodeChunk(chunk: RecordChunk): EncodedPart[] {
  const parts: EncodedPart[] = [];
  for (const [partition, { records, text }] of chunkText(chunk)) {
    parts.push({ partition, records, body: gzipSync(text, GZIP_OPTIONS) });
  }
  return parts;
}

/**
 * The files of several chunks, oldest first, written together: one per date, its chunks' gzip members joined in
 * order. A gzip file may hold several members (RFC 1952), read whole by zlib, Python's gzip and the retraining
 * job; so each chunk is encoded on its own as it fills, and a write only joins bytes.
 */
export function joinParts(chunksParts: readonly (readonly EncodedPart[])[]): EncodedPart[] {
  const partitions = new Map<string, { records: number; members: Uint8Array[] }>();
  for (const parts of chunksParts) {
    for (const { partition, records, body } of parts) {
      const joined = partitions.get(partition);
      if (joined) {
        joined.records += records;
        joined.members.push(body);
      } else {
        partitions.set(partition, { records, members: [body] });
      }
    }
  }
  return [...partitions].map(([partition, { records, members }]) => ({
    partition,
    records,
    body: members.length === 1 ? members[0] : Buffer.concat(members),
  }));
}
