import type { PrivacyRequestKind } from '../db/tables/privacy.js';
import type { ReviewStatus } from '../repositories/disposition.js';

/**
 * Limits and enumerations of the services that command declarations need (option defaults, ranges
 * and help text), in a module that loads nothing else: the CLI declares every command at start but
 * loads a command's services only when it runs (cli/program.ts). The services re-export them.
 */

/** Most hits one search returns (services/search.ts). */
export const MAX_SEARCH_LIMIT = 100_000;

/**
 * Records per import transaction (`--batch-size`): large enough to amortize commits — each commit
 * writes every page its transaction dirtied, and random message ids dirty most pages of the
 * (source, id) index in any large batch (docs/benchmarks.md) — yet a crash loses little work to redo.
 */
export const DEFAULT_BATCH_SIZE = 20_000;

/** An import transaction kept open over several batches is committed once it is this old (ms), whatever its size: it holds SQLite's write lock, which other writers wait for at most 10 s (busy_timeout). */
export const IMPORT_TRANSACTION_MAX_MS = 2000;

/** Records prepared and written at a time inside an import transaction: bounds the import's memory (services/import.ts). */
export const PREPARED_BATCH_SIZE = 5000;

/**
 * …or fewer, once a prepared batch's input lines and attachments reach this many bytes: inline
 * attachments make lines large, and a 5000-record batch of the demo's media mix took the import's
 * peak RSS over 400 MB (docs/benchmarks.md).
 */
export const PREPARED_BATCH_BYTES = 2 * 1024 * 1024;

/**
 * SQLite's page cache while an import keeps transactions open over several batches (MiB; the
 * default is 16): a 20,000-record transaction dirties more pages than 16 MiB hold, and SQLite would
 * spill them to the WAL and read them back before the commit. Measured on 1M records
 * (docs/benchmarks.md): 16 MiB ~14,000 records/s, 32 MiB ~14,500–15,200 with peak RSS ~350–360 MiB,
 * 48–64 MiB ~16,000–17,000 but peak RSS up to 393 MiB (412 MB): over the 400 MB target in some runs.
 * Re-measured with a smaller HEAP_GROWING_PERCENT (60; 2026-11-24): 64 and 96 MiB no faster than 32
 * (CLI runs, 14,100–15,500 records/s each), peak RSS 264–296 MiB at 32, 303–371 MiB at 96.
 */
export const IMPORT_CACHE_MIB = 32;

/**
 * V8's heap growth between full collections, in percent over the live heap (V8 flag
 * --heap-growing-percent, set while a file import runs: services/import.ts capHeapGrowth; V8's own
 * factor goes up to 300 %).
 * Measured with the built CLI (docs/benchmarks.md, "Memory"): 1M text-only records peak at 277 MiB
 * with 100 against 349–386 MiB with V8's default, at the same rate; the PC 3.x export at 303–336
 * against 365–383 MiB, 22,500–23,900 rows/s against 24,000–26,600 (noise of ±10 % between runs).
 */
export const HEAP_GROWING_PERCENT = 100;

/** Most audit events one list returns (services/audit.ts). */
export const MAX_LIST_LIMIT = 10_000;

/** The states of a disposition review item (services/disposition-reviews.ts). */
export const REVIEW_STATUSES: readonly ReviewStatus[] = ['pending', 'proposed', 'approved', 'rejected', 'void'];

/** The kinds of privacy request (services/privacy-requests.ts). */
export const PRIVACY_KINDS = ['access', 'erasure', 'restriction'] as const satisfies readonly PrivacyRequestKind[];

/** The longest deadline a privacy request may have, in days (services/privacy-requests.ts). */
export const MAX_DEADLINE_DAYS = 365;

/** Most review items one bulk step takes (the console sends a page; the CLI's --all sends chunks of it). */
export const MAX_BULK_REVIEWS = 1000;
