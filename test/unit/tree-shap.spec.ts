import { readArtifactDir } from '../../service/src/model/channels.js';
import { ModelManifest, TREES_FILE } from '../../service/src/model/manifest.js';
import { verifyArtifact, verifyArtifactFiles } from '../../service/src/model/verify-artifact.js';
import { exactShapley } from '../helpers/exact-shapley.js';
import { LoadedModel } from '../../service/src/model/loaded-model.js';
import { randomApplications } from '../helpers/applications.js';
import { DEMO_STORE } from '../helpers/paths.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/*
 * TreeSHAP on the demo model as the service loads it (real ONNX Runtime, the trees proved against it):
 * equal to exact Shapley values by enumeration, additive to the served log-odds, and reasons that follow.
 */
const version = JSON.parse(readFileSync(path.join(DEMO_STORE, 'loan-default/channels/production.json'), 'utf8'))
  .version as string;
const dir = path.join(DEMO_STORE, 'loan-default/versions', version);
let files: Record<string, Buffer>;
let model: LoadedModel;

beforeAll(async () => {
  files = await readArtifactDir(dir);
  model = await verifyArtifactFiles(files);
});

afterAll(async () => {
  await model?.release();
});

const logit = (p: number) => Math.log(p / (1 - p));

describe('TreeSHAP over the served trees', () => {
  it('equals exact Shapley values (path-dependent, by enumeration) within 1e-6 for 200 applications', () => {
    const explainer = model.explainer!;
    const applications = randomApplications(200, 14);
    const x = model.encoder.encode(applications);
    let worst = 0;
    for (let row = 0; row < applications.length; row++) {
      const fast = explainer.contributions(x, row);
      const exact = exactShapley(explainer.trees, x, row);
      for (let j = 0; j < fast.length; j++) worst = Math.max(worst, Math.abs(fast[j] - exact[j]));
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('adds up: base value plus contributions is the logit of the served probability within 1e-4, for 10,000 applications', async () => {
    const explainer = model.explainer!;
    const applications = randomApplications(10_000, 15);
    const served = await model.score(applications);
    const x = model.encoder.encode(applications);
    let worstLogit = 0;
    let worstProbability = 0;
    let compared = 0;
    for (let row = 0; row < applications.length; row++) {
      const phi = explainer.contributions(x, row);
      let sum = explainer.expectedRaw;
      for (const v of phi) sum += v;
      worstProbability = Math.max(worstProbability, Math.abs(1 / (1 + Math.exp(-sum)) - served[row]));
      // ONNX Runtime answers a float32 probability (steps of 6e-8): its logit is only that exact while
      // p(1 - p) >= 1e-3; beyond, the probability itself is compared.
      if (served[row] * (1 - served[row]) < 1e-3) continue;
      compared++;
      worstLogit = Math.max(worstLogit, Math.abs(sum - logit(served[row])));
    }
    expect(compared).toBeGreaterThan(5_000);
    expect(worstLogit).toBeLessThanOrEqual(1e-4);
    expect(worstProbability).toBeLessThanOrEqual(1e-6);
  });

  it('gives up to four reasons that raise the risk, largest first, from the catalogue', () => {
    const explainer = model.explainer!;
    const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
    const codes = new Set(manifest.explanation!.reasons.map((r) => r.code));
    const applications = randomApplications(500, 16);
    const x = model.encoder.encode(applications);
    for (let row = 0; row < applications.length; row++) {
      const reasons = explainer.reasons(applications[row], explainer.contributions(x, row));
      expect(reasons.length).toBeLessThanOrEqual(4);
      for (const [i, reason] of reasons.entries()) {
        expect(codes.has(reason.code)).toBe(true);
        expect(reason.contribution).toBeGreaterThan(0);
        if (i > 0) expect(reason.contribution).toBeLessThanOrEqual(reasons[i - 1].contribution);
        expect(reason.text).not.toContain('{value}');
      }
    }
  });
});

describe('the trees must be the trees scored', () => {
  const manifestWith = (edit: (m: ModelManifest) => void) => {
    const manifest = JSON.parse(files['manifest.json'].toString()) as ModelManifest;
    edit(manifest);
    return manifest;
  };

  it('refuses trees.json whose sha256 differs from the manifest', async () => {
    const trees = Buffer.from(files[TREES_FILE].toString().replace('"baseline":', '"baseline": '));
    await expect(
      verifyArtifact(
        manifestWith(() => undefined),
        files['model.onnx'],
        undefined,
        undefined,
        trees,
      ),
    ).rejects.toThrow(/sha256 of trees.json/);
  });

  it('refuses trees that do not reproduce ONNX Runtime (a leaf changed, the manifest updated to match)', async () => {
    const doc = JSON.parse(files[TREES_FILE].toString());
    const leaf = doc.trees[0].feature.indexOf(-1);
    doc.trees[0].value[leaf] += 0.5;
    const trees = Buffer.from(JSON.stringify(doc));
    const { createHash } = await import('node:crypto');
    const manifest = manifestWith((m) => (m.explanation!.sha256 = createHash('sha256').update(trees).digest('hex')));
    await expect(verifyArtifact(manifest, files['model.onnx'], undefined, undefined, trees)).rejects.toThrow(
      /does not reproduce ONNX Runtime/,
    );
  });

  it('refuses a manifest that promises trees.json when the file is missing', async () => {
    await expect(
      verifyArtifact(
        manifestWith(() => undefined),
        files['model.onnx'],
      ),
    ).rejects.toThrow(/trees.json is missing/);
  });

  it('serves a version made before reasons existed (no explanation in its manifest), without an explainer', async () => {
    const old = await verifyArtifact(
      manifestWith((m) => delete m.explanation),
      files['model.onnx'],
    );
    expect(old.explainer).toBeNull();
    await old.release();
  });
});
