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
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void jobs.stop().then(() => ctx.close()).then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
