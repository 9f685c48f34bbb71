import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { openSecret, sealSecret } from '../../crypto/account-secrets.js';
import { conflict, notFound, usageError } from '../../errors.js';
import { isFile } from '../../file-system.js';
import { resolveSource } from '../../repositories/sources.js';
import * as settings from '../../repositories/source-settings.js';
import { appendAudit } from '../audit.js';

/**
 * WeCom chat-archive sources: configuration (non-secret, JSON) and secrets (the archive secret,
 * RSA private keys by `publickey_ver`, proxy password, callback token and AES key) sealed in the
 * encrypted store. Secrets are read from files given on the command line, never echoed, never logged,
 * and never returned by any API; the audit log records which key versions exist, not the keys.
 */

export const weComConfigSchema = z.object({
  corpId: z.string().min(1).max(64),
  sdkPath: z.string().min(1),
  proxy: z.string().url().optional(),
  apiBase: z.string().url().optional(),
  /** Seconds between scheduled syncs inside `wekeep serve` / `wekeep work`. */
  syncIntervalSeconds: z.number().int().min(10).max(86_400).default(300),
  /** Seconds between scheduled directory syncs (names, departments, room titles, consent status): daily by default. */
  directoryIntervalSeconds: z.number().int().min(300).max(7 * 86_400).default(86_400),
});
export type WeComConfig = z.infer<typeof weComConfigSchema>;

export const weComSecretsSchema = z.object({
  secret: z.string().min(1),
  /** PEM private keys by publickey_ver. */
  privateKeys: z.record(z.string().regex(/^\d+$/u), z.string().min(1)),
  proxyPassword: z.string().optional(),
  callbackToken: z.string().optional(),
  encodingAesKey: z.string().optional(),
  /** Contacts (通讯录) secret: members and departments for the directory sync. */
  contactsSecret: z.string().optional(),
  /** Customer-contact (客户联系) secret: external contacts for the directory sync. */
  customerSecret: z.string().optional(),
});
export type WeComSecrets = z.infer<typeof weComSecretsSchema>;

export const weComSourceName = (name: string): string => (name.startsWith('wecom:') ? name : `wecom:${name}`);
const secretsAad = (sourceId: number): string => `source-secrets:${sourceId}`;

export interface WeComSource {
  sourceId: number;
  name: string;
  config: WeComConfig;
  secrets: WeComSecrets;
  cursorSeq: number;
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw usageError('source.unreadable_file', `${what}: cannot read ${path}`);
  }
}

/** `VERSION=PEM_FILE` → [version, pem], checking that the file holds an RSA private key. */
export function readPrivateKeyOption(option: string): [string, string] {
  const m = /^(\d+)=(.+)$/u.exec(option);
  if (!m) throw usageError('source.bad_private_key', `--private-key expects VERSION=PEM_FILE, got "${option}"`);
  const pem = readSecretFile(m[2]!, `--private-key ${m[1]}`);
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw usageError('source.bad_private_key', `--private-key ${m[1]}: ${m[2]} is not an RSA private key in PEM`);
  }
  return [m[1]!, pem];
}

export interface AddWeComSourceInput {
  name: string;
  corpId: string;
  secretFile: string;
  privateKeys: string[];
  sdkPath: string;
  proxy?: string | undefined;
  proxyPasswordFile?: string | undefined;
  apiBase?: string | undefined;
  callbackTokenFile?: string | undefined;
  encodingAesKeyFile?: string | undefined;
  contactsSecretFile?: string | undefined;
  customerSecretFile?: string | undefined;
  syncIntervalSeconds?: number | undefined;
  directoryIntervalSeconds?: number | undefined;
}

/**
 * What is worth knowing about an `--sdk` path before the first sync. A missing library is not refused
 * (it may be installed after the source is configured, and the directory needs no SDK), but said.
 */
function sdkWarnings(sdkPath: string | undefined): string[] {
  if (sdkPath === undefined || isFile(sdkPath)) return [];
  return [`--sdk: ${sdkPath} is not a file here; \`sources sync\` fails until the WeCom SDK library is there`];
}

export async function addWeComSource(ctx: Context, input: AddWeComSourceInput): Promise<{ name: string; keyVersions: string[]; warnings: string[] }> {
  const name = weComSourceName(input.name);
  if (!/^wecom:[A-Za-z0-9._-]{1,64}$/u.test(name)) throw usageError('source.bad_name', '--name: 1–64 characters of letters, digits, ".", "_" or "-"');
  if (input.privateKeys.length === 0) throw usageError('source.no_private_key', 'give at least one --private-key VERSION=PEM_FILE');
  const parsedConfig = weComConfigSchema.safeParse({ corpId: input.corpId, sdkPath: input.sdkPath, proxy: input.proxy, apiBase: input.apiBase, syncIntervalSeconds: input.syncIntervalSeconds, directoryIntervalSeconds: input.directoryIntervalSeconds });
  if (!parsedConfig.success) throw usageError('source.bad_config', `invalid WeCom settings: ${parsedConfig.error.issues[0]?.path.join('.')}: ${parsedConfig.error.issues[0]?.message}`);
  const secrets: WeComSecrets = {
    secret: readSecretFile(input.secretFile, '--secret-file'),
    privateKeys: Object.fromEntries(input.privateKeys.map(readPrivateKeyOption)),
    ...(input.proxyPasswordFile ? { proxyPassword: readSecretFile(input.proxyPasswordFile, '--proxy-password-file') } : {}),
    ...(input.callbackTokenFile ? { callbackToken: readSecretFile(input.callbackTokenFile, '--callback-token-file') } : {}),
    ...(input.encodingAesKeyFile ? { encodingAesKey: readSecretFile(input.encodingAesKeyFile, '--encoding-aes-key-file') } : {}),
    ...(input.contactsSecretFile ? { contactsSecret: readSecretFile(input.contactsSecretFile, '--contacts-secret-file') } : {}),
    ...(input.customerSecretFile ? { customerSecret: readSecretFile(input.customerSecretFile, '--customer-secret-file') } : {}),
  };
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    if (await settings.findSourceSettings(trx, name)) throw conflict('source.exists', `source ${name} already exists (use \`wekeep sources update\`)`);
    const sourceId = await resolveSource(trx, name, now);
    await settings.insertSourceSettings(trx, {
      source_id: sourceId, kind: 'wecom', config: JSON.stringify(parsedConfig.data), secrets: sealSecret(ctx.keys, JSON.stringify(secrets), secretsAad(sourceId)),
      cursor_seq: 0, last_sync_at: null, last_sync_status: null, last_success_at: null, last_error: null, created_at: now, updated_at: now,
    });
    await appendAudit(ctx, trx, { action: 'source.added', subject: `source:${name}`, details: { kind: 'wecom', corpId: input.corpId, keyVersions: Object.keys(secrets.privateKeys) } });
  });
  return { name, keyVersions: Object.keys(secrets.privateKeys), warnings: sdkWarnings(input.sdkPath) };
}

export async function loadWeComSource(ctx: Pick<Context, 'db' | 'keys'>, nameText: string): Promise<WeComSource> {
  const name = weComSourceName(nameText);
  const row = await settings.findSourceSettings(ctx.db, name);
  if (!row || row.kind !== 'wecom') throw notFound('source.not_found', `no WeCom source ${name} (wekeep sources add wecom …)`);
  return {
    sourceId: row.source_id,
    name,
    config: weComConfigSchema.parse(JSON.parse(row.config)),
    secrets: weComSecretsSchema.parse(JSON.parse(openSecret(ctx.keys, row.secrets, secretsAad(row.source_id)))),
    cursorSeq: Number(row.cursor_seq),
  };
}

export interface UpdateWeComSourceInput {
  name: string;
  privateKeys?: string[] | undefined;
  secretFile?: string | undefined;
  sdkPath?: string | undefined;
  proxy?: string | undefined;
  syncIntervalSeconds?: number | undefined;
  directoryIntervalSeconds?: number | undefined;
}

/** Adds key versions (rotation keeps the old ones: old messages still name them) and changes settings. */
export async function updateWeComSource(ctx: Context, input: UpdateWeComSourceInput): Promise<{ name: string; keyVersions: string[]; warnings: string[] }> {
  const current = await loadWeComSource(ctx, input.name);
  const added = (input.privateKeys ?? []).map(readPrivateKeyOption);
  const secrets: WeComSecrets = {
    ...current.secrets,
    ...(input.secretFile ? { secret: readSecretFile(input.secretFile, '--secret-file') } : {}),
    privateKeys: { ...current.secrets.privateKeys, ...Object.fromEntries(added) },
  };
  const config = weComConfigSchema.parse({
    ...current.config,
    ...(input.sdkPath ? { sdkPath: input.sdkPath } : {}),
    ...(input.proxy ? { proxy: input.proxy } : {}),
    ...(input.syncIntervalSeconds ? { syncIntervalSeconds: input.syncIntervalSeconds } : {}),
    ...(input.directoryIntervalSeconds ? { directoryIntervalSeconds: input.directoryIntervalSeconds } : {}),
  });
  await ctx.db.transaction().execute(async (trx) => {
    await settings.updateSourceSettings(trx, current.sourceId, { config: JSON.stringify(config), secrets: sealSecret(ctx.keys, JSON.stringify(secrets), secretsAad(current.sourceId)), updated_at: ctx.clock.now() });
    await appendAudit(ctx, trx, {
      action: 'source.updated', subject: `source:${current.name}`,
      details: { addedKeyVersions: added.map(([v]) => v), secretReplaced: input.secretFile !== undefined, settingsChanged: Object.keys(input).filter((k) => !['name', 'privateKeys', 'secretFile'].includes(k) && input[k as keyof UpdateWeComSourceInput] !== undefined) },
    });
  });
  return { name: current.name, keyVersions: Object.keys(secrets.privateKeys), warnings: sdkWarnings(input.sdkPath) };
}
