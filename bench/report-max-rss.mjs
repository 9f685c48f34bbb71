// Preloaded with `node --import` by bench/archive.ts: reports the process's peak RSS (KiB) on exit.
process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\n`));
