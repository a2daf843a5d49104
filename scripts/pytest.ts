import { spawnSync } from 'node:child_process';
import { findPython } from './lib/python.js';

// Runs the Python suites with the interpreter that has the training libraries (see findPython).
const result = spawnSync(findPython(), ['-m', 'pytest', '-q', 'training/tests', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
