import type { ConnectorAttachment } from '../../services/import-prepare.js';

/**
 * The contract between the personal-WeChat readers (one folder per format under
 * src/connectors/wechat/) and the import service (src/services/wechat-import.ts).
 *
 * A reader opens one export (a folder or a file), reads it as a stream, and yields one item per
 * source row: either a message already mapped to the canonical record input (the NDJSON import
 * format, docs/formats/ndjson.md) with its media, or a bad row that names where it came from and
 * why it could not be read. The service validates, archives (dedup, encryption, malware scan,
 * index, audit) and summarizes per conversation; readers never touch the store.
 */

export const WECHAT_FORMATS = ['wechat-pc3', 'wechat-pc4', 'wechat-android', 'wechat-ios', 'wechatmsg-csv'] as const;
export type WeChatFormat = (typeof WECHAT_FORMATS)[number];

export interface WeChatImportOptions {
  /** The export: a folder (databases + media) or a file (EnMicroMsg.db, MM.sqlite, a CSV). */
  path: string;
  /** The person (directory id) whose device this is: recorded on every record as `custodian`. */
  custodian: string;
  /** The phone owner's wxid when the export does not say (it decides direction and the source id). */
  ownerWxid?: string | undefined;
  /** IANA zone for exports whose times carry no offset (WeChatMsg CSV). Default Asia/Shanghai. */
  tz: string;
  /** Android: the device IMEI and WeChat uin (key = md5(IMEI + uin)[:7]), or the key itself. */
  imei?: string | undefined;
  uin?: string | undefined;
  key?: string | undefined;
}

/** Where a row came from, for quarantine and error texts: file, table and row (rowid or CSV line). */
export interface RowLocation {
  file: string;
  table?: string | undefined;
  row?: number | string | undefined;
}

export interface WeChatMessage {
  kind: 'message';
  /**
   * The canonical record input: `source` = `wechat:<owner-wxid>`, `id` stable across re-exports of
   * the same phone (e.g. the MsgSvrID / server id), `time`, `conversation`, `from`, `to`, `type`,
   * `text`, structured fields (`wechat: {...}`, `parent` for quotes, `custodian`), `raw` = the row.
   * `attachments` is left out: media goes in `media`.
   */
  record: Record<string, unknown>;
  /**
   * Media read from the export: original bytes (images decoded from .dat), plus a WAV for voice;
   * large videos and documents by path (streamed into the archive).
   */
  media: ConnectorAttachment[];
  /** Media the row refers to that the export does not contain (reported, never fatal). */
  missingMedia: string[];
  location: RowLocation;
}

export interface WeChatBadRow {
  kind: 'bad';
  location: RowLocation;
  /** Why, naming the column/field; never quotes message content. */
  reason: string;
  /** The original row as text (kept encrypted in the quarantine). */
  content?: string | undefined;
  /** The chat the row belongs to, when the reader knows it (for the per-conversation summary). */
  conversation?: { id: string; type?: 'direct' | 'group' | undefined; title?: string | undefined } | undefined;
}

export type WeChatItem = WeChatMessage | WeChatBadRow;

export interface WeChatReader {
  readonly format: WeChatFormat;
  /** The owner's wxid (found in the export or given by --owner-wxid). */
  readonly ownerWxid: string;
  /** What was found, in one line for the user (e.g. "PC WeChat 3.x: 3 MSG shards, 1,234 messages, MicroMsg.db"). */
  describe(): string;
  /** Rows to read in total (for the progress bar), counted cheaply. */
  totalRows(): number;
  /** The rows, streamed in a stable order (memory independent of the export's size). */
  items(): AsyncIterable<WeChatItem>;
  close(): void;
}
