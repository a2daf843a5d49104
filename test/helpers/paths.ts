import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_STORE = path.join(ROOT, 'models');
/** The built service; SERVICE_ENTRY points the suites at another build (to show a test fails on older code). */
export const SERVICE_ENTRY = process.env.SERVICE_ENTRY
  ? path.resolve(process.env.SERVICE_ENTRY)
  : path.join(ROOT, 'dist/service/main.js');
