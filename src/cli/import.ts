import { resolve } from 'node:path';
import type { Command } from 'commander';
import { detectFormat, type DetectedFormat, type ImportFormat } from '../connectors/wechat/detect.js';
import { WECHAT_FORMATS, type WeChatFormat } from '../connectors/wechat/types.js';
import { usageError } from '../errors.js';
import type { ImportSummary } from '../services/import.js';
import { DEFAULT_BATCH_SIZE } from '../services/limits.js';
import type { WeChatImportSummary } from '../services/wechat-import.js';
import { intOption, printJson, printLine, printWarning, setExitStatus, withContext } from './common.js';
import { createProgressBar } from './progress.js';

const FORMATS: readonly string[] = ['ndjson', ...WECHAT_FORMATS, 'auto'];
const isWeChatFormat = (f: string): f is WeChatFormat => (WECHAT_FORMATS as readonly string[]).includes(f);

interface ImportCliOptions {
  format: string;
  batchSize: number;
  json?: boolean;
  custodian?: string;
  ownerWxid?: string;
  tz?: string;
  imei?: string;
  uin?: string;
  key?: string;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Usage checks that need no store (exit status 2 before anything is opened). */
function checkOptions(opts: ImportCliOptions, format: ImportFormat): void {
  if (opts.batchSize < 1) throw usageError('cli.bad_option', '--batch-size must be at least 1');
  if (format === 'ndjson') return;
  if (opts.custodian === undefined || opts.custodian.trim() === '') {
    throw usageError('import.custodian_required', `--custodian PERSON_ID is required for --format ${format} (the person whose device or account this export is)`);
  }
  if (opts.tz !== undefined && !validTimeZone(opts.tz)) throw usageError('cli.bad_option', `--tz: unknown time zone "${opts.tz}" (an IANA name such as Asia/Shanghai)`);
  if ((opts.imei === undefined) !== (opts.uin === undefined)) throw usageError('cli.bad_option', '--imei and --uin go together (the key is md5(IMEI + uin)[:7])');
  if (opts.key !== undefined && opts.imei !== undefined) throw usageError('cli.bad_option', 'give either --key or --imei with --uin, not both');
}

const rate = (n: number, started: number): string => {
  const s = (Date.now() - started) / 1000;
  return s > 0 ? `${Math.round(n / s).toLocaleString('en')}/s` : '';
};

function printWeChatSummary(s: WeChatImportSummary, detected: DetectedFormat | undefined): void {
  printLine(`Import ${s.importId} (${s.format}) ${s.status === 'completed' ? 'completed' : 'completed with quarantined rows'} in ${(s.durationMs / 1000).toFixed(1)} s (${s.recordsPerSecond} records/s)`);
  if (detected) printLine(`  detected:       ${detected.format} from ${detected.evidence}`);
  printLine(`  found:          ${s.found}`);
  printLine(`  owner:          ${s.ownerWxid} (source ${s.source}), custodian ${s.custodian}`);
  printLine(`  rows read:      ${s.rows}${s.totalRows !== s.rows ? ` (counted ${s.totalRows} before reading)` : ''}`);
  printLine(`  archived:       ${s.imported}`);
  printLine(`  duplicates:     ${s.duplicates} (already archived, skipped${s.duplicatesWithChangedDetails > 0 ? `; ${s.duplicatesWithChangedDetails} with changed names, status or media, archived copy kept` : ''})`);
  printLine(`  quarantined:    ${s.quarantined}${s.conflicts > 0 ? ` (${s.conflicts} conflicting with archived records)` : ''}${s.quarantined > 0 ? '  → wekeep quarantine list' : ''}`);
  printLine(`  recalls linked: ${s.recallsLinked}${s.recallsPending > 0 ? ` (${s.recallsPending} waiting for their original)` : ''}`);
  if (s.restrictedOnArrival > 0) printLine(`  restricted:     ${s.restrictedOnArrival} (their subject's privacy restriction or erasure is in force → wekeep privacy list)`);
  printLine(`  attachments:    ${s.attachments.total} (${s.attachments.stored} stored, ${s.attachments.deduplicated} de-duplicated, ${s.attachments.bytes} bytes)`);
  printLine(`  missing media:  ${s.missingMedia.files} file(s) in ${s.missingMedia.messages} message(s)${s.missingMedia.files > 0 ? ' (listed by --json)' : ''}`);
  printLine(`  conversations:  ${s.conversations.length}`);
  for (const c of s.conversations) {
    const name = c.title ? `${c.title} <${c.id}>` : c.id || '(unknown chat)';
    printLine(`    ${name}${c.type ? ` [${c.type}]` : ''}: ${c.archived} archived, ${c.duplicates} duplicates, ${c.quarantined} quarantined${c.missingMedia > 0 ? `, ${c.missingMedia} missing media` : ''}`);
  }
}

function printSummary(s: ImportSummary): void {
  printLine(`Import ${s.importId} ${s.status === 'completed' ? 'completed' : 'completed with quarantined lines'} in ${(s.durationMs / 1000).toFixed(1)} s (${s.recordsPerSecond} records/s)`);
  printLine(`  lines read:     ${s.lines}${s.blankLines > 0 ? ` (${s.blankLines} blank)` : ''}`);
  printLine(`  archived:       ${s.imported}`);
  printLine(`  duplicates:     ${s.duplicates} (already archived, skipped)`);
  if (s.disposed > 0) printLine(`  disposed:       ${s.disposed} (skipped: disposed earlier)`);
  printLine(`  quarantined:    ${s.quarantined}${s.conflicts > 0 ? ` (${s.conflicts} conflicting with archived records)` : ''}${s.quarantined > 0 ? '  → wekeep quarantine list' : ''}`);
  printLine(`  recalls linked: ${s.recallsLinked}${s.recallsPending > 0 ? ` (${s.recallsPending} waiting for their original)` : ''}`);
  if (s.restrictedOnArrival > 0) printLine(`  restricted:     ${s.restrictedOnArrival} (their subject's privacy restriction or erasure is in force → wekeep privacy list)`);
  printLine(`  attachments:    ${s.attachments.total} (${s.attachments.stored} stored, ${s.attachments.deduplicated} de-duplicated, ${s.attachments.bytes} bytes)`);
  for (const src of s.sources) printLine(`  source ${src.name}: ${src.imported} archived, ${src.duplicates} duplicates${src.seqReused > 0 ? `, ${src.seqReused} with a seq already taken` : ''}`);
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('import an export: NDJSON (docs/formats/ndjson.md) or a personal WeChat export (docs/formats/wechat.md); streaming, idempotent, crash-safe')
    .argument('<path>', 'the NDJSON file, or the WeChat export (folder or file)')
    .option('--format <format>', `input format: ${FORMATS.join(', ')}`, 'ndjson')
    .option('--custodian <person>', 'WeChat formats: the person (directory id) whose device or account this is; recorded on every record (required)')
    .option('--owner-wxid <wxid>', "WeChat formats: the account owner's wxid when the export does not tell (decides direction and the source wechat:<wxid>)")
    .option('--tz <zone>', 'WeChat formats: IANA time zone of times written without an offset (WeChatMsg CSV), default the store\'s (Asia/Shanghai)')
    .option('--imei <imei>', 'wechat-android: the device IMEI (with --uin; key = md5(IMEI + uin)[:7])')
    .option('--uin <uin>', 'wechat-android: the WeChat uin (with --imei)')
    .option('--key <key>', 'wechat-android: the database key itself (instead of --imei and --uin)')
    .option('--batch-size <n>', 'records per transaction', intOption('--batch-size', 50_000), DEFAULT_BATCH_SIZE)
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText('after', `
Formats:
  ndjson          one JSON record per line (the default)
  wechat-pc3      a folder of decrypted PC WeChat 3.x databases (Multi/MSG*.db, MicroMsg.db, MediaMSG*.db) + FileStorage
  wechat-pc4      a decrypted WeChat 4.x db_storage folder (message/message_N.db, contact/contact.db) + msg/ media
  wechat-android  EnMicroMsg.db (SQLCipher, legacy mode; --imei and --uin, or --key) with its voice2/image2/video folders
  wechat-ios      an iOS backup's WeChat user folder (DB/MM.sqlite, DB/WCDB_Contact.sqlite, Audio/, Img/, Video/)
  wechatmsg-csv   the WeChatMsg tool's CSV export (a *_utf8.csv file or a folder of them)
  auto            detect the format from the path (and say what was found, on stderr)
Examples:
  wekeep import chat.ndjson
  wekeep import --format auto ~/exports/xwechat_files/wxid_abc_1a2b --custodian P0042
  wekeep import --format wechat-android EnMicroMsg.db --imei 86xxxxxxxxxxxxx --uin 123456 --custodian P0042 --json
Exit status: 0 all rows archived (or already archived), 3 some rows were quarantined
(listed by \`wekeep quarantine list\`), 1 fatal error, 2 usage error (e.g. no --custodian, unknown --format).
Running the same import again archives nothing twice; after a crash, run it again.`)
    .action(async (path: string, opts: ImportCliOptions, cmd: Command) => {
      if (!FORMATS.includes(opts.format)) throw usageError('import.bad_format', `unknown --format "${opts.format}" (supported: ${FORMATS.join(', ')})`);
      let detected: DetectedFormat | undefined;
      let format = opts.format as ImportFormat | 'auto';
      if (format === 'auto') {
        detected = detectFormat(path);
        format = detected.format;
        process.stderr.write(`detected ${detected.format}: ${detected.evidence}${detected.path !== resolve(path) ? ` (reading ${detected.path})` : ''}\n`);
        path = detected.path;
      }
      checkOptions(opts, format);
      await withContext(cmd, async (ctx) => {
        const bar = createProgressBar('importing');
        const started = Date.now();
        if (!isWeChatFormat(format)) {
          const { importNdjson } = await import('../services/import.js');
          const summary = await importNdjson(ctx, {
            file: path,
            batchSize: opts.batchSize,
            onProgress: (p) => bar.update(p.bytesRead, p.totalBytes, `${p.imported} archived, ${p.duplicates} dup, ${p.quarantined} quarantined`),
          });
          bar.finish();
          if (opts.json) printJson(detected ? { ...summary, detected } : summary);
          else {
            if (detected) printLine(`Detected ${detected.format} from ${detected.evidence}`);
            printSummary(summary);
          }
          if (summary.seqReused > 0) printWarning(`${summary.seqReused} new record(s) carry a seq that another record of their source already has; both are kept (their ids differ). A source's seq names one record: check the export (audit event record.seq_reused).`);
          if (summary.quarantined > 0) setExitStatus(3);
          return;
        }
        const { importWeChat } = await import('../services/wechat-import.js');
        const summary = await importWeChat(ctx, {
          format,
          path,
          custodian: opts.custodian!.trim(),
          ownerWxid: opts.ownerWxid,
          tz: opts.tz ?? ctx.config.timeZone,
          imei: opts.imei,
          uin: opts.uin,
          key: opts.key,
          batchSize: opts.batchSize,
          onProgress: (p) => bar.update(p.rows, p.totalRows, `${p.rows}/${p.totalRows} rows ${rate(p.rows, started)}, ${p.imported} archived, ${p.duplicates} dup, ${p.quarantined} quarantined`),
        });
        bar.finish();
        if (opts.json) printJson(detected ? { ...summary, detected } : summary);
        else printWeChatSummary(summary, detected);
        if (summary.quarantined > 0) setExitStatus(3);
      });
    });

  const quarantine = program.command('quarantine').description('input lines that could not be archived, with file, line and reason');
  quarantine
    .command('list')
    .description('list quarantined lines')
    .option('--import <id>', 'only lines of this import', intOption('--import'))
    .option('--limit <n>', 'at most this many', intOption('--limit', 100_000), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--json', 'machine-readable output')
    .action(async (opts: { import?: number; limit: number; offset: number; json?: boolean }, cmd: Command) => {
      const { listQuarantined } = await import('../services/quarantine.js');
      await withContext(cmd, async (ctx) => {
        const r = await listQuarantined(ctx, { importId: opts.import, limit: opts.limit, offset: opts.offset });
        if (opts.json) return printJson(r);
        printLine(`${r.total} quarantined line(s)`);
        for (const e of r.entries) printLine(`#${e.id}  ${e.file}:${e.line}  ${e.reason}`);
      });
    });
  quarantine
    .command('show')
    .description('show one quarantined line with its content (audited)')
    .argument('<id>', 'quarantine entry id', intOption('<id>'))
    .option('--json', 'machine-readable output')
    .action(async (id: number, opts: { json?: boolean }, cmd: Command) => {
      const { showQuarantined } = await import('../services/quarantine.js');
      await withContext(cmd, async (ctx) => {
        const e = await showQuarantined(ctx, id);
        if (opts.json) return printJson(e);
        printLine(`#${e.id}  ${e.file}:${e.line}`);
        printLine(`reason: ${e.reason}`);
        if (e.contentEncoding === 'base64') printLine(`(not valid UTF-8: the line's bytes in base64; decode with base64 -d)\n${e.content ?? ''}`);
        else printLine(e.content ?? '(content not kept: the line was unreadable)');
      });
    });
  quarantine
    .command('purge')
    .description('delete quarantined lines and their content for good (audited, with the reason)')
    .argument('[ids...]', 'quarantine entry ids')
    .option('--import <id>', 'every line of this import', intOption('--import'))
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
A quarantined line that names a record (its source and id) is deleted with that record when it is
disposed of (retention, review, erasure). Purge the others yourself: an invalid line that holds
personal data after an erasure request, or the lines of an import whose file was fixed and imported again.`)
    .action(async (ids: string[], opts: { import?: number; reason: string; json?: boolean }, cmd: Command) => {
      const parse = intOption('<ids>');
      const { purgeQuarantined } = await import('../services/quarantine.js');
      await withContext(cmd, async (ctx) => {
        const r = await purgeQuarantined(ctx, { ids: ids.map((id) => parse(id)), importId: opts.import, reason: opts.reason });
        if (opts.json) return printJson(r);
        printLine(`${r.purged} quarantined line(s) purged.`);
      });
    });
}
