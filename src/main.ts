// More libuv threads: attachment writes fsync concurrently during imports (set before any I/O).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { runCli } = await import('./cli/program.js');

// argv → the CLI; nothing else.
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
