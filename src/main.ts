// More libuv threads: attachment writes fsync concurrently during imports (set before any I/O).
process.env.UV_THREADPOOL_SIZE ??= '16';
// A closed pipe (`wekeep search … | head`) ends the command quietly instead of crashing.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { runCli } = await import('./cli/program.js');

// argv → the CLI; nothing else.
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
