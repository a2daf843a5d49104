import * as ort from 'onnxruntime-node';
import { LoanApplication } from '../contract/loan-application.contract.js';
import { FeatureEncoder } from '../preprocessing/feature-encoder.js';
import type { Explainer } from '../explain/explainer.js';
import { ModelManifest } from './manifest.js';
import { MasterScale, scaleOf } from './master-scale.js';
import { MicroBatcher } from './micro-batcher.js';

export interface BatchingOptions {
  maxRows: number;
  waitMs: number;
  /** ONNX Runtime intra-op threads for the session (1 unless configured). */
  intraOpThreads?: number;
}
/** Every call is its own session run. */
export const NO_BATCHING: BatchingOptions = { maxRows: 1, waitMs: 0 };

/**
 * Session options for scoring: full graph optimisation, and one intra-op thread by default (ORT_INTRA_OP_THREADS),
 * since the trees are small.
 * onnxruntime-node 1.30 runs session.run on the main thread (inside a setImmediate, not on a worker), so a run
 * blocks the event loop for its duration: micro-batching keeps runs few, and the other core is left to libuv's
 * pool (gzip, file writes) and the kernel's network work.
 */
export const sessionOptions = (intraOpThreads = 1): ort.InferenceSession.SessionOptions => ({
  graphOptimizationLevel: 'all',
  intraOpNumThreads: intraOpThreads,
  interOpNumThreads: 1,
});

/** One verified model version, ready to score: its manifest, its session and its compiled encoder. */
export class LoadedModel {
  readonly version: string;
  readonly threshold: number;
  /** The version's rating grades (the default scale for a version trained before master scales). */
  readonly masterScale: MasterScale;
  /** The scale's grade names, in order (what the prediction log keeps an index into). */
  readonly ratingGrades: readonly string[];
  private readonly outputName: string;

  private readonly batcher: MicroBatcher<LoanApplication>;
  /** TreeSHAP and reasons over the same trees, proved at load; null for a version without trees.json. */
  explainer: Explainer | null = null;

  constructor(
    readonly manifest: ModelManifest,
    readonly session: ort.InferenceSession,
    readonly encoder: FeatureEncoder,
    batching: BatchingOptions = NO_BATCHING,
  ) {
    this.version = manifest.version;
    this.threshold = manifest.threshold.value;
    this.masterScale = scaleOf(manifest).scale;
    this.ratingGrades = this.masterScale.grades.map((band) => band.grade);
    this.outputName = manifest.onnx.output_name;
    this.batcher = new MicroBatcher((rows) => this.run(rows), batching.maxRows, batching.waitMs);
  }

  /** probability_of_default for each application, in order; concurrent small calls share session runs. */
  score(applications: readonly LoanApplication[]): Promise<Float32Array> {
    return this.batcher.score(applications);
  }

  /** One session run over one tensor. */
  private async run(applications: readonly LoanApplication[]): Promise<Float32Array> {
    const data = this.encoder.encode(applications);
    const input = new ort.Tensor('float32', data, [applications.length, this.encoder.width]);
    const output = await this.session.run({ [this.encoder.inputName]: input }, [this.outputName]);
    return output[this.outputName].data as Float32Array;
  }

  private leases = 0;
  private retired = false;
  private released: Promise<void> | null = null;

  /** Marks a request as using this model; the session is not released while any lease is open. */
  acquire(): this {
    this.leases++;
    return this;
  }

  releaseLease(): void {
    this.leases--;
    if (this.retired && this.leases === 0) void this.release();
  }

  /** No new requests will come: release the session as soon as the last in-flight one finishes. */
  retire(): void {
    this.retired = true;
    if (this.leases === 0) void this.release();
  }

  release(): Promise<void> {
    this.released ??= this.session.release().catch(() => undefined);
    return this.released;
  }
}
