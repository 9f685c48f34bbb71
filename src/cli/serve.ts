import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { writeFileAtomic } from '../crypto/keyring.js';
import { configOf, intOption, printLine } from './common.js';
import { createProgressBar } from './progress.js';

/**
 * `wekeep serve`: the API and the console. With --demo, a data dir that does not exist yet is
 * first initialized with the demo corpus. When no account exists, an `admin` account is created
 * (and with --demo a `demo` compliance account) and their one-time setup links are shown: printed
 * on a terminal, or, when standard output goes anywhere else (a service manager's journal, a log
 * file), written to SETUP_LINKS_FILE in the data dir (mode 0600) and only that file's path printed,
 * so that no log ever holds a link that takes over an account.
 */

export const SETUP_LINKS_FILE = 'setup-links.txt';

async function bootstrapAccounts(ctx: Context, baseUrl: string, demo: boolean): Promise<void> {
  const { addUser, listUserViews, setupLinkOf } = await import('../services/users.js');
  if ((await listUserViews(ctx)).length > 0) return;
  const created = [await addUser(ctx, { username: 'admin', role: 'admin' })];
  if (demo) created.push(await addUser(ctx, { username: 'demo', role: 'compliance' }));
  const heading = 'No accounts yet. One-time setup links (valid 24 h; each sets a password and an authenticator app):';
  const links = created.map((c) => `  ${c.user.username.padEnd(6)} (${c.user.role}): ${setupLinkOf(baseUrl, c.setupToken)}`);
  if (process.stdout.isTTY) {
    printLine(heading);
    for (const l of links) printLine(l);
  } else {
    const file = join(ctx.config.dataDir, SETUP_LINKS_FILE);
    writeFileAtomic(file, `${heading}\n${links.join('\n')}\n`, 0o600);
    printLine(`No accounts yet. Their one-time setup links (valid 24 h) are in ${file} (mode 0600), not in this output; delete the file once they are used.`);
  }
  printLine('More accounts: wekeep users add --username NAME --role ROLE [--person ID]');
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the web console and the REST API (/api/v1)')
    .option('--port <port>', 'TCP port (0 = any free port)', intOption('--port', 65_535), 8080)
    .option('--host <address>', 'address to listen on (loopback serves plain HTTP; others serve HTTPS)', '127.0.0.1')
    .option('--tls-cert <file>', 'PEM certificate chain for HTTPS')
    .option('--tls-key <file>', 'PEM private key for HTTPS')
    .option('--behind-proxy <addresses>', 'serve plain HTTP behind a TLS-terminating reverse proxy at these comma-separated addresses (trusts their X-Forwarded-* headers only)')
    .option('--demo [messages]', 'initialize the data dir with a demo corpus first, if it does not exist yet (default 100000 messages)', intOption('--demo', 10_000_000))
    .addHelpText('after', `
Examples:
  wekeep serve --demo                                  demo data, http://127.0.0.1:8080
  wekeep serve --host 0.0.0.0 --tls-cert c.pem --tls-key k.pem
  wekeep serve --host 10.0.0.2 --behind-proxy 10.0.0.1 behind nginx/Caddy terminating TLS

Session cookies are HttpOnly and SameSite=Strict (and Secure over HTTPS). Sessions end after
30 minutes idle or 12 hours in total.`)
    .action(async (opts: { port: number; host: string; tlsCert?: string; tlsKey?: string; behindProxy?: string; demo?: number | true }, cmd: Command) => {
      const config = await configOf(cmd);
      const { createContext, DB_FILE } = await import('../context.js');
      const demo = opts.demo !== undefined;
      if (demo && !existsSync(join(config.dataDir, DB_FILE))) {
        const { initStore } = await import('../services/store.js');
        const { importDemoCorpus } = await import('../services/demo.js');
        const { ctx } = await initStore(config);
        try {
          const bar = createProgressBar('importing demo');
          await importDemoCorpus(ctx, { messages: opts.demo === true ? 100_000 : (opts.demo as number), onProgress: (p) => bar.update(p.bytesRead, p.totalBytes, `${p.imported} archived`) });
          bar.finish();
        } finally {
          await ctx.close();
        }
      }
      const { chooseListenMode } = await import('../http/tls.js');
      const { buildApp } = await import('../http/app.js');
      const { startBackgroundJobs, syncJobName } = await import('../jobs/background.js');
      const mode = await chooseListenMode({ host: opts.host, dataDir: config.dataDir, tlsCert: opts.tlsCert, tlsKey: opts.tlsKey, behindProxy: opts.behindProxy });
      const ctx = await createContext(config);
      const jobs = await startBackgroundJobs(ctx);
      const app = await buildApp(ctx, {
        triggerSync: (source) => jobs.trigger(syncJobName(source)),
        https: mode.https,
        trustedProxies: mode.kind === 'proxy' ? mode.trustedProxies : undefined,
        httpsOptions: mode.kind === 'https' ? { cert: mode.cert, key: mode.key } : undefined,
        version: program.version() ?? '0.0.0',
      });
      app.addHook('onResponse', (request, reply, done) => {
        // Content-free access log: the route pattern, never the URL (it can carry a search query).
        ctx.log.info({ requestId: request.id, method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
        done();
      });
      const address = await app.listen({ port: opts.port, host: opts.host });
      const url = address.replace('://[::1]', '://localhost');
      if (mode.kind === 'https' && mode.selfSigned) {
        process.stderr.write(`wekeep: WARNING: serving HTTPS with a self-signed certificate (${mode.certFile}); browsers will warn. Use --tls-cert/--tls-key or --behind-proxy in production.\n`);
      }
      printLine(`WeKeep console: ${url}/  (API: ${url}/api/v1, OpenAPI: ${url}/api/v1/openapi.json)`);
      await bootstrapAccounts(ctx, process.env.WEKEEP_PUBLIC_URL || url, demo);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void app.close().then(() => jobs.stop()).then(() => ctx.close()).then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
