import { runCli } from './cli/program.js';

// argv → the CLI; nothing else.
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
