import v8 from 'node:v8';
import { HEAP_GROWING_PERCENT } from './services/limits.js';
// More libuv threads: attachment writes fsync concurrently during imports (set before any I/O).
process.env.UV_THREADPOOL_SIZE ??= '16';
// A closed pipe (`wekeep search … | head`) ends the command quietly instead of crashing.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
// V8 lets its old generation grow by up to 4× between full collections while they are cheap: an
// import's live heap is ~40 MB, yet the heap grew to ~190 MB of mostly garbage, and peak RSS reached
// 386 MiB (405 MB) against the 400 MB target. Growing by at most 2× keeps peak RSS near 280–330 MiB
// (docs/benchmarks.md, "Memory").
v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
const { runCli } = await import('./cli/program.js');

// argv → the CLI; nothing else.
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
