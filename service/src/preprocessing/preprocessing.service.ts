import { Injectable } from '@nestjs/common';
import { FeatureEncoder } from './feature-encoder.js';
import { FeatureSpec } from './feature-spec.js';

/** Compiles feature specs into encoders; the model provider asks it once per model version it loads. */
@Injectable()
export class PreprocessingService {
  compile(spec: FeatureSpec): FeatureEncoder {
    return new FeatureEncoder(spec);
  }
}
