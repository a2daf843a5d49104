import { createBlobStore } from '../../service/src/storage/create-blob-store.js';
import { BookOptions, runPart } from './book-part-step.js';
import { loadScoringModel, ModelChoice } from './scoring-model.js';
import { loadScoringPolicy, PolicyChoice } from './scoring-policy.js';

/**
 * One local worker of the book: loads the model and the policy once, then scores the parts it is sent, one at a
 * time, answering each with its record (or its error). The runner sends `{ part: null }` when no part is left.
 */
interface Init {
  model: ModelChoice;
  policy: PolicyChoice;
  input: string;
  output: string;
  options: BookOptions;
}

process.once('message', (init: Init) => {
  void (async () => {
    const [model, policy, input, output] = await Promise.all([
      loadScoringModel(init.model),
      loadScoringPolicy(init.policy),
      createBlobStore(init.input),
      createBlobStore(init.output),
    ]);
    process.on('message', ({ part }: { part: string | null }) => {
      if (part === null) {
        void model.release().then(() => process.exit(0));
        return;
      }
      runPart(input, output, part, model, policy, init.options).then(
        (record) => process.send!({ record }),
        (error: Error) => process.send!({ error: { name: error.name, message: error.message } }),
      );
    });
    process.send!({ ready: true });
  })().catch((error: Error) =>
    process.send!({ error: { name: error.name, message: error.message } }, () => process.exit(1)),
  );
});
