import { createHash } from 'node:crypto';
import { hashLeaf } from './merkle.js';

/**
 * Canonical byte forms of the audit log. Pure and deterministic: the same event always yields the
 * same bytes, on every platform and in every version of WeKeep that reads `wekeep-audit-v1`.
 *
 * Audit events describe actions (who, what, on which object id), never message content: no body,
 * file name or attachment bytes ever goes into `details`.
 *
 * Event form (UTF-8 bytes of one JSON array, no whitespace, fixed field order):
 *
 *   ["wekeep-audit-v1",<seq>,<timeMs>,<actor>,<action>,<subject|null>,<detailsJson|null>]
 *
 * where detailsJson is the canonical JSON text of the details object (see canonicalJson) embedded
 * as a JSON *string*, i.e. exactly the text stored in audit_events.details. The Merkle leaf is
 * SHA-256(0x00 || form) (RFC 9162). seq is part of the form, so a leaf cannot move.
 *
 * Signed tree head form (UTF-8, four lines, each ending in \n):
 *
 *   wekeep-sth-v1\n<size>\n<rootHex lowercase>\n<timeMs>\n
 *
 * signed with Ed25519 (pure, no pre-hash).
 */

export const AUDIT_FORM_VERSION = 'wekeep-audit-v1';
export const TREE_HEAD_FORM_VERSION = 'wekeep-sth-v1';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace, numbers
 * and strings as JSON.stringify writes them. Only JSON values are accepted: null, booleans, finite
 * numbers, strings, arrays and plain objects (properties whose value is undefined are omitted).
 * Anything else (NaN, Infinity, bigint, Date, Buffer, Map, functions, cycles) throws a TypeError,
 * so two different inputs can never silently collapse into the same text.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: a ${typeof value} is not a JSON value`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError(`${path}: circular reference`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v: unknown, i) => (v === undefined ? fail(`${path}[${i}]: undefined in an array`) : write(v, `${path}[${i}]`, ancestors))).join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: only plain objects are JSON objects`);
    const rec = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(rec).sort()) {
      const v = rec[key];
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(v, `${path}.${key}`, ancestors)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

function fail(message: string): never {
  throw new TypeError(message);
}

/** Canonical text of an event's details as stored in audit_events.details; null when absent. */
export function canonicalDetails(details: Readonly<Record<string, unknown>> | null | undefined): string | null {
  if (details === null || details === undefined) return null;
  if (typeof details !== 'object' || Array.isArray(details)) throw new TypeError('$: details must be a JSON object');
  return canonicalJson(details);
}

/** The fields of one event exactly as stored (details already canonical text). */
export interface AuditLeafFields {
  seq: number;
  timeMs: number;
  actor: string;
  action: string;
  subject: string | null;
  /** Canonical JSON text (canonicalDetails), or null. */
  details: string | null;
}

export function auditEventBytes(e: AuditLeafFields): Buffer {
  if (!Number.isSafeInteger(e.seq) || e.seq < 0) throw new TypeError(`seq must be a non-negative safe integer, got ${e.seq}`);
  if (!Number.isSafeInteger(e.timeMs)) throw new TypeError(`timeMs must be a safe integer, got ${e.timeMs}`);
  const form = [AUDIT_FORM_VERSION, e.seq, e.timeMs, e.actor, e.action, e.subject, e.details];
  return Buffer.from(JSON.stringify(form), 'utf8');
}

/** RFC 9162 leaf hash of an event: SHA-256(0x00 || auditEventBytes(e)). */
export function auditLeafHash(e: AuditLeafFields): Buffer {
  return hashLeaf(auditEventBytes(e));
}

export interface TreeHeadFields {
  size: number;
  rootHash: Uint8Array;
  timeMs: number;
}

/** The bytes an Ed25519 tree-head signature covers. */
export function treeHeadBytes(h: TreeHeadFields): Buffer {
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new TypeError(`size must be a non-negative safe integer, got ${h.size}`);
  if (!Number.isSafeInteger(h.timeMs)) throw new TypeError(`timeMs must be a safe integer, got ${h.timeMs}`);
  if (h.rootHash.length !== 32) throw new TypeError(`rootHash must be 32 bytes, got ${h.rootHash.length}`);
  return Buffer.from(`${TREE_HEAD_FORM_VERSION}\n${h.size}\n${Buffer.from(h.rootHash).toString('hex')}\n${h.timeMs}\n`, 'utf8');
}

/** A short, stable id of a signing key: the first 16 hex digits of SHA-256 of its SPKI DER encoding. */
export function signingKeyId(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);
}
