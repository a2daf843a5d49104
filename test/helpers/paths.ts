import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_STORE = path.join(ROOT, 'models');
export const SERVICE_ENTRY = path.join(ROOT, 'dist/service/main.js');
