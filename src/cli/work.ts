import type { Command } from 'commander';
import { configOf, printLine } from './common.js';

/** `wekeep work`: the background jobs (connector syncs, scan retries) without the web server. */
export function registerWorkCommand(program: Command): void {
  program
    .command('work')
    .description('run the background jobs without serving: scheduled syncs of connector sources, re-scans of attachments that wait for the scanner')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = await configOf(cmd);
      const { createContext } = await import('../context.js');
      const { startBackgroundJobs } = await import('../jobs/background.js');
      const ctx = await createContext(config);
      const jobs = await startBackgroundJobs(ctx);
      printLine('WeKeep background jobs running (Ctrl-C to stop)');
      // The scheduler's timers do not hold the process open (serve's listening socket does): without
      // this, `work` with nothing else to wait for would exit at once and no job would ever run.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          clearInterval(keepAlive);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void jobs.stop().then(() => ctx.close()).then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
