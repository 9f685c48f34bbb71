#!/usr/bin/env node
// Entry point of the `wekeep` command. Runs the compiled build (dist/, made by `npm install`
// through the `prepare` script); falls back to the TypeScript sources through tsx when no build exists.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'main.js');
if (existsSync(built) && process.env.WEKEEP_FROM_SOURCE !== '1') {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'main.ts')).href);
}
