import type { Command } from 'commander';
import { resolve } from 'node:path';
import { collect, intOption, printJson, printLine, printWarning, setExitStatus, wantsJson, withContext } from './common.js';

/** The SDK path as stored: absolute, so that syncs started from another folder (or by the server) find it. */
const sdkPathOption = (path: string): string => (path === '' ? path : resolve(path));

async function listAction(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const { reportSources } = await import('../services/sources.js');
  const { connectorStatuses } = await import('../services/connectors/connector-status.js');
  await withContext(cmd, async (ctx) => {
    const sources = await reportSources(ctx);
    const connectors = await connectorStatuses(ctx);
    if (opts.json) return printJson({ sources, connectors });
    if (sources.length === 0) return printLine('no sources yet');
    for (const s of sources) {
      printLine(`${s.name}: ${s.records} records, seq ${s.firstSeq ?? '–'}..${s.lastSeq ?? '–'}, last message ${s.lastTime ?? '–'}`);
      const c = connectors.find((x) => x.name === s.name);
      if (c) {
        const attempt = c.lastSyncAt === null ? '' : `; last attempt ${c.lastSyncAt} (${c.lastSyncStatus ?? '?'})`;
        const lag = c.lagMs === null ? `never synced successfully${attempt}` : `last successful sync ${c.lastSuccessAt} (${(c.lagMs / 3_600_000).toFixed(1)} h ago)${c.lastSyncAt === c.lastSuccessAt ? '' : attempt}`;
        printLine(`  ${c.kind} connector: cursor ${c.cursor}, ${lag}${c.lagLevel === 'warning' ? ' — WARNING: approaching WeCom\'s 5-day retention' : c.lagLevel === 'critical' ? ' — CRITICAL: past WeCom\'s 5-day retention, messages may be lost' : ''}`);
        if (c.lastError) printLine(`  last error: ${c.lastError}`);
        const m = c.missingMedia;
        if ((m.waiting ?? 0) + (m.attached ?? 0) + (m.abandoned ?? 0) > 0) printLine(`  media missing from archived messages: ${m.waiting ?? 0} waiting for the next syncs, ${m.attached ?? 0} attached later, ${m.abandoned ?? 0} abandoned`);
      }
      if (s.gapCount > 0) {
        printLine(`  ${s.gapCount} gap(s), ${s.missing} seq(s) missing: ${s.gaps.slice(0, 10).map((g) => (g.from === g.to ? `${g.from}` : `${g.from}-${g.to}`)).join(', ')}${s.gapCount > 10 ? ', …' : ''}`);
      }
      for (const g of s.unrecoverable) {
        printLine(`  UNRECOVERABLE: seq ${g.from === g.to ? g.from : `${g.from}-${g.to}`} (${g.reason === 'expired' ? 'expired at WeCom before it was pulled' : g.reason}; detected ${g.detectedAt})`);
      }
    }
  });
}

export function registerSourcesCommands(program: Command): void {
  const sources = program
    .command('sources')
    .description('list sources with record counts, seq watermarks and gaps')
    .option('--json', 'machine-readable output')
    .action(listAction);
  sources.command('list').description('list sources (the same as `wekeep sources`)').option('--json', 'machine-readable output').action(listAction);
  registerConnectorCommands(program);
}

/** The connector sub-commands: `sources add wecom`, `sources update`, `sources sync`. */
export function registerConnectorCommands(program: Command): void {
  const sources = program.commands.find((c) => c.name() === 'sources')!;
  const add = sources.command('add').description('add a connector source');
  add
    .command('wecom')
    .description('add a WeCom chat-archive (会话内容存档) source; secrets and keys are stored encrypted')
    .requiredOption('--name <name>', 'source name (the source becomes wecom:<name>)')
    .requiredOption('--corp-id <id>', 'the corp id (ww…)')
    .requiredOption('--secret-file <file>', 'file holding the chat-archive Secret')
    .requiredOption('--private-key <version=pem>', 'RSA private key of a publickey_ver, VERSION=PEM_FILE (repeatable)', collect, [])
    .requiredOption('--sdk <path>', "path of Tencent's libWeWorkFinanceSdk_C.so")
    .option('--proxy <url>', 'HTTP proxy for the SDK')
    .option('--proxy-password-file <file>', 'file holding the proxy password')
    .option('--api-base <url>', 'WeCom API base URL (directory sync)', undefined)
    .option('--callback-token-file <file>', 'file holding the callback Token')
    .option('--encoding-aes-key-file <file>', 'file holding the callback EncodingAESKey')
    .option('--contacts-secret-file <file>', 'file holding the Contacts (通讯录) secret: members and departments')
    .option('--customer-secret-file <file>', 'file holding the Customer Contact (客户联系) secret: external contacts')
    .option('--sync-interval <seconds>', 'seconds between scheduled syncs in `wekeep serve` (default 300)', intOption('--sync-interval', 86_400))
    .option('--directory-interval <seconds>', 'seconds between scheduled directory syncs (names, room titles, consent status) in `wekeep serve` (default 86400)', intOption('--directory-interval', 7 * 86_400))
    .option('--json', 'machine-readable output')
    .action(async (opts: { name: string; corpId: string; secretFile: string; privateKey: string[]; sdk: string; proxy?: string; proxyPasswordFile?: string; apiBase?: string; callbackTokenFile?: string; encodingAesKeyFile?: string; contactsSecretFile?: string; customerSecretFile?: string; syncInterval?: number; directoryInterval?: number; json?: boolean }, cmd: Command) => {
      const { addWeComSource } = await import('../services/connectors/wecom-source.js');
      await withContext(cmd, async (ctx) => {
        const r = await addWeComSource(ctx, {
          name: opts.name, corpId: opts.corpId, secretFile: opts.secretFile, privateKeys: opts.privateKey, sdkPath: sdkPathOption(opts.sdk), proxy: opts.proxy, proxyPasswordFile: opts.proxyPasswordFile,
          apiBase: opts.apiBase, callbackTokenFile: opts.callbackTokenFile, encodingAesKeyFile: opts.encodingAesKeyFile, contactsSecretFile: opts.contactsSecretFile,
          customerSecretFile: opts.customerSecretFile, syncIntervalSeconds: opts.syncInterval, directoryIntervalSeconds: opts.directoryInterval,
        });
        for (const w of r.warnings) printWarning(w);
        if (wantsJson(cmd)) return printJson(r);
        printLine(`added ${r.name} with key version(s) ${r.keyVersions.join(', ')}; run \`wekeep sources sync ${r.name}\``);
      });
    });

  sources
    .command('update <name>')
    .description('change a connector source: add private key versions (key rotation), replace the secret, change settings')
    .option('--private-key <version=pem>', 'add an RSA private key version, VERSION=PEM_FILE (repeatable)', collect, [])
    .option('--secret-file <file>', 'replace the chat-archive Secret')
    .option('--sdk <path>', "path of Tencent's libWeWorkFinanceSdk_C.so")
    .option('--proxy <url>', 'HTTP proxy for the SDK')
    .option('--sync-interval <seconds>', 'seconds between scheduled syncs', intOption('--sync-interval', 86_400))
    .option('--directory-interval <seconds>', 'seconds between scheduled directory syncs', intOption('--directory-interval', 7 * 86_400))
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { privateKey: string[]; secretFile?: string; sdk?: string; proxy?: string; syncInterval?: number; directoryInterval?: number; json?: boolean }, cmd: Command) => {
      const { updateWeComSource } = await import('../services/connectors/wecom-source.js');
      await withContext(cmd, async (ctx) => {
        const r = await updateWeComSource(ctx, { name, privateKeys: opts.privateKey, secretFile: opts.secretFile, sdkPath: opts.sdk === undefined ? undefined : sdkPathOption(opts.sdk), proxy: opts.proxy, syncIntervalSeconds: opts.syncInterval, directoryIntervalSeconds: opts.directoryInterval });
        for (const w of r.warnings) printWarning(w);
        if (wantsJson(cmd)) return printJson(r);
        printLine(`updated ${r.name}; key versions: ${r.keyVersions.join(', ')}`);
      });
    });

  sources
    .command('directory <name>')
    .description('sync the WeCom directory: member names and departments, external contacts, group chat titles')
    .option('--json', 'machine-readable output')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { syncWeComDirectory } = await import('../services/connectors/wecom-directory.js');
      await withContext(cmd, async (ctx) => {
        const r = await syncWeComDirectory(ctx, name);
        if (wantsJson(cmd)) return printJson(r);
        printLine(`${r.source}: ${r.members} members, ${r.externalContacts} external contacts, ${r.rooms} group chat titles; ${r.archivedUsers ?? '?'} archived users`);
        printLine(`  consent: ${r.consent.pairs} 1:1 pair(s) and ${r.consent.rooms} room(s) checked; ${r.consent.recorded} new status(es) in the ledger${r.consent.disagree > 0 ? `, ${r.consent.disagree} REFUSAL(S)` : ''}${r.consent.unknown > 0 ? `, ${r.consent.unknown} unknown status(es)` : ''}`);
        for (const s of r.skipped) printLine(`  skipped: ${s}`);
      });
    });

  sources
    .command('sync <name>')
    .description('pull everything the WeCom SDK has after the durable cursor, media included; prints a summary')
    .option('--limit <n>', 'messages per GetChatData call (1–1000)', intOption('--limit', 1000), 1000)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit status: 0 when everything was archived, 3 when some messages were quarantined, media could not be fetched, or a range of seqs had expired at WeCom (10010) and was skipped (recorded as unrecoverable: see `wekeep sources`), 1 on an error (with its reason).')
    .action(async (name: string, opts: { limit: number; json?: boolean }, cmd: Command) => {
      const { syncWeComSource } = await import('../services/connectors/wecom-sync.js');
      const { openConfiguredSdk } = await import('../connectors/wecom/open-configured.js');
      await withContext(cmd, async (ctx) => {
        const r = await syncWeComSource(ctx, name, { limit: opts.limit, openClient: openConfiguredSdk });
        if (r.status === 'partial') setExitStatus(3);
        if (wantsJson(cmd)) return printJson(r);
        printLine(`${r.source}: seq ${r.fromSeq} → ${r.toSeq}, ${r.fetched} fetched in ${r.batches} batch(es): ${r.imported} archived, ${r.duplicates} already archived${r.duplicatesWithChangedDetails > 0 ? ` (${r.duplicatesWithChangedDetails} served again with other media or details: archived copy kept)` : ''}, ${r.quarantined} quarantined`);
        printLine(`media: ${r.media.downloaded} downloaded (${r.media.resumed} resumed), ${r.media.failed} failed (tried again by the next syncs), ${r.media.md5Mismatches} md5 mismatch(es), ${r.media.attachedLate} attached late, ${r.media.abandoned} abandoned; ${r.consentEvents} consent event(s); ${r.retries} retr(y/ies)`);
        for (const g of r.unrecoverable) printLine(`UNRECOVERABLE: seq ${g.from}-${g.to} had expired at WeCom (10010, past its ~5-day retention) and was skipped; recorded, see \`wekeep sources\``);
      });
    });
}
