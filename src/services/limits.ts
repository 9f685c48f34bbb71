import type { PrivacyRequestKind } from '../db/tables/privacy.js';
import type { ReviewStatus } from '../repositories/disposition.js';

/**
 * Limits and enumerations of the services that command declarations need (option defaults, ranges
 * and help text), in a module that loads nothing else: the CLI declares every command at start but
 * loads a command's services only when it runs (cli/program.ts). The services re-export them.
 */

/** Most hits one search returns (services/search.ts). */
export const MAX_SEARCH_LIMIT = 100_000;

/** Records per import transaction: large enough to amortize commits and index flushes, small enough to bound memory (services/import.ts). */
export const DEFAULT_BATCH_SIZE = 5000;

/** Most audit events one list returns (services/audit.ts). */
export const MAX_LIST_LIMIT = 10_000;

/** The states of a disposition review item (services/disposition-reviews.ts). */
export const REVIEW_STATUSES: readonly ReviewStatus[] = ['pending', 'proposed', 'approved', 'rejected', 'void'];

/** The kinds of privacy request (services/privacy-requests.ts). */
export const PRIVACY_KINDS = ['access', 'erasure', 'restriction'] as const satisfies readonly PrivacyRequestKind[];

/** The longest deadline a privacy request may have, in days (services/privacy-requests.ts). */
export const MAX_DEADLINE_DAYS = 365;
