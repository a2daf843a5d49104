import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { PredictionCaptureService } from './capture/prediction-capture.service.js';
import { loadAppConfig } from './config/app.config.js';

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const app = await createApp(config);
  const capture = app.get(PredictionCaptureService);
  const logger = new Logger('Main');
  // Nest closes the app on these signals; this bounds how long that may take. Past SHUTDOWN_TIMEOUT_MS
  // (shorter than the container's stop timeout, after which it would be killed with records in memory),
  // what the prediction log still holds is spilled to disk and the process exits anyway.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log({ message: 'shutting down', signal, deadline_ms: config.shutdownTimeoutMs });
      setTimeout(() => {
        logger.error({
          message: 'shutdown deadline passed; spilling what is left and exiting',
          deadline_ms: config.shutdownTimeoutMs,
        });
        capture.spillNow('shutdown deadline passed');
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    });
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log({ message: 'listening', host: config.host, port, docs: `/docs`, store: config.modelStore });
}

main().catch((error: Error) => {
  // Configuration and startup errors: one clear line, non-zero exit.
  process.stderr.write(`startup failed: ${error.message}\n`);
  process.exit(1);
});
