import path from 'node:path';
import {
  describeVersions,
  promote,
  publishVerified,
  readArtifactDir,
  readChallenger,
  rollback,
  setChallenger,
} from '../service/src/model/channels.js';
import { createModelStore } from '../service/src/model/stores/create-model-store.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE =
  'usage: npm run models -- list | promote VERSION | rollback | publish DIR [--promote] | shadow VERSION | canary VERSION --weight W | clear shadow|canary [--store STORE] [--name loan-default] [--channel production]';

runCli(USAGE, async () => {
  const { values, positionals } = parseCli(
    USAGE,
    {
      store: { type: 'string', default: process.env.MODEL_STORE ?? './models' },
      name: { type: 'string', default: process.env.MODEL_NAME ?? 'loan-default' },
      channel: { type: 'string', default: process.env.MODEL_CHANNEL ?? 'production' },
      promote: { type: 'boolean', default: false },
      weight: { type: 'string' },
    },
    process.argv.slice(2),
    true,
  );
  const store = await createModelStore(values.store as string);
  const name = values.name as string;
  const channel = values.channel as string;
  const [command, ...rest] = positionals;
  switch (command) {
    case 'list': {
      if (rest.length) throw new UsageError(`list takes no arguments`);
      const pointer = await store.readChannel(name, channel);
      const [shadow, canary] = await Promise.all([
        readChallenger(store, name, 'shadow'),
        readChallenger(store, name, 'canary'),
      ]);
      for (const v of await describeVersions(store, name)) {
        const marks = [
          v.version === pointer?.version ? channel : null,
          v.version === shadow?.version ? 'shadow' : null,
          v.version === canary?.version ? `canary (weight ${canary.weight})` : null,
        ].filter(Boolean);
        const mark = marks.length ? `  <- ${marks.join(', ')}` : '';
        const auc = typeof v.metrics?.roc_auc === 'number' ? v.metrics.roc_auc.toFixed(4) : 'n/a';
        process.stdout.write(`${v.version}  created ${v.created_at ?? 'n/a'}  roc_auc ${auc}${mark}\n`);
      }
      return;
    }
    case 'shadow':
    case 'canary': {
      if (rest.length !== 1) throw new UsageError(`${command} takes one VERSION`);
      if (command === 'canary' && values.weight === undefined)
        throw new UsageError('canary needs --weight W (above 0, at most 0.5)');
      const weight = values.weight === undefined ? undefined : Number(values.weight);
      if (weight !== undefined && !(weight > 0 && weight <= 0.5))
        throw new UsageError(`--weight must be above 0 and at most 0.5, got '${values.weight}'`);
      const pointer = await setChallenger(store, name, command, rest[0], weight);
      process.stdout.write(
        `${command} -> ${pointer.version}${pointer.weight !== undefined ? ` (weight ${pointer.weight})` : ''}\n`,
      );
      return;
    }
    case 'clear': {
      if (rest.length !== 1 || !['shadow', 'canary'].includes(rest[0]))
        throw new UsageError('clear takes shadow or canary');
      await setChallenger(store, name, rest[0] as 'shadow' | 'canary', null);
      process.stdout.write(`${rest[0]} cleared\n`);
      return;
    }
    case 'promote': {
      if (rest.length !== 1) throw new UsageError('promote takes one VERSION');
      const pointer = await promote(store, name, channel, rest[0]);
      process.stdout.write(`${channel} -> ${pointer.version} (previous ${pointer.previous ?? 'none'})\n`);
      return;
    }
    case 'rollback': {
      if (rest.length) throw new UsageError('rollback takes no arguments');
      const pointer = await rollback(store, name, channel);
      process.stdout.write(`${channel} rolled back -> ${pointer.version} (previous ${pointer.previous})\n`);
      return;
    }
    case 'publish': {
      if (rest.length !== 1) throw new UsageError('publish takes one DIR holding model.onnx and manifest.json');
      const manifest = await publishVerified(store, await readArtifactDir(path.resolve(rest[0])), name);
      process.stdout.write(
        `published ${manifest.name} ${manifest.version} to ${store.location} (canaries reproduced)\n`,
      );
      if (values.promote) {
        const pointer = await promote(store, name, channel, manifest.version);
        process.stdout.write(`${channel} -> ${pointer.version} (previous ${pointer.previous ?? 'none'})\n`);
      }
      return;
    }
    default:
      throw new UsageError(command ? `unknown command '${command}'` : 'a command is required');
  }
});
