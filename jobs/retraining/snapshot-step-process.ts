import { createJsonLineLogger } from '../../service/src/logging/logger.js';
import { createModelStore } from '../../service/src/model/stores/create-model-store.js';
import { createBlobStore } from '../../service/src/storage/create-blob-store.js';
import { buildSnapshot, SnapshotStepInput } from './snapshot-step.js';

/** The snapshot step's child process: one message in, one result (or error) out, then exit. */
process.once(
  'message',
  (message: { input: SnapshotStepInput; locations: { dataRoot: string; store: string; logLevel: string } }) => {
    void (async () => {
      try {
        const result = await buildSnapshot(message.input, {
          dataRoot: await createBlobStore(message.locations.dataRoot),
          store: await createModelStore(message.locations.store),
          logger: createJsonLineLogger(message.locations.logLevel),
        });
        process.send!({ result }, () => process.exit(0));
      } catch (error) {
        process.send!({ error: (error as Error).message }, () => process.exit(1));
      }
    })();
  },
);
