import { createHmac } from 'node:crypto';
import type { Context } from '../context.js';
import { forEachDisposalIdentity, storedDisposalDigests } from '../repositories/tombstones.js';

/**
 * What a restore of an OLD backup needs to know about records disposed of since (ADR 0011, amended
 * 2026-11-25 b): their identities. Those of buckets whose key was destroyed are in segments nobody can
 * read any more, so the tombstones of the live store travel with the key store backup instead, as
 * keyed digests of (source, id) — 16 bytes each, no name, id or content in clear. A restore stores
 * them (table disposal_digests), leaves matching records out, and an import skips records whose
 * digest is there, as it skips records with a tombstone.
 */

export const DISPOSAL_DIGEST_BYTES = 16;
/** How the digests are made, stated in the key store backup. */
export const DISPOSAL_DIGEST_FORMAT = 'hmac-sha256(dedup key, source NUL id), first 16 bytes';

export function disposalDigest(dedupKey: Buffer, source: string, extId: string): Buffer {
  return createHmac('sha256', dedupKey).update(source).update('\0').update(extId).digest().subarray(0, DISPOSAL_DIGEST_BYTES);
}

/** Every disposal this store knows (its tombstones, and the digests a restore gave it): sorted, without repeats, concatenated. */
export function collectDisposalDigests(ctx: Pick<Context, 'sqlite' | 'keys'>): Buffer {
  const all: Buffer[] = [];
  forEachDisposalIdentity(ctx.sqlite, (source, extId) => all.push(disposalDigest(ctx.keys.dedupKey, source, extId)));
  for (const d of storedDisposalDigests(ctx.sqlite)) if (d.length === DISPOSAL_DIGEST_BYTES) all.push(d);
  all.sort(Buffer.compare);
  const unique = all.filter((d, i) => i === 0 || !d.equals(all[i - 1]!));
  return Buffer.concat(unique);
}

/** The digests of a concatenation, as hex strings (for a Set). */
export function digestSet(data: Buffer): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + DISPOSAL_DIGEST_BYTES <= data.length; i += DISPOSAL_DIGEST_BYTES) out.add(data.subarray(i, i + DISPOSAL_DIGEST_BYTES).toString('hex'));
  return out;
}
