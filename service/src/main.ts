import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { loadAppConfig } from './config/app.config.js';

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  new Logger('Main').log({ message: 'listening', host: config.host, port, docs: `/docs`, store: config.modelStore });
}

main().catch((error: Error) => {
  // Configuration and startup errors: one clear line, non-zero exit.
  process.stderr.write(`startup failed: ${error.message}\n`);
  process.exit(1);
});
