import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a module next to the caller (`from` = the caller's import.meta.url,
 * `module` = e.g. './unwrap-worker'). Built (dist/): the module's .js. From the TypeScript sources
 * (tests, tsx): the worker registers tsx first, then loads the module's .ts.
 */
export function startWorker(from: string, module: string, workerData: unknown): Worker {
  const fromSource = from.endsWith('.ts');
  const url = new URL(`${module}.${fromSource ? 'ts' : 'js'}`, from);
  if (!fromSource) return new Worker(url, { workerData });
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData });
}
