import type { Generated } from 'kysely';

/** Privacy requests of data subjects and the restricted state of messages (migration 0013). */

export type PrivacyRequestKind = 'access' | 'erasure' | 'restriction';
export type PrivacyRequestStatus = 'open' | 'in-progress' | 'completed' | 'rejected';
/** What a request did to one record. */
export type PrivacyRecordOutcome = 'exported' | 'erased' | 'restricted' | 'lifted';

export interface PrivacyRequestsTable {
  id: Generated<number>;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  /** JSON array of the identifiers given (userid, external userid, wxid, phone, email, name). */
  subjects: string;
  /** Who asked (the data subject or their representative), as written by the compliance user. */
  requester: string;
  opened_at: number;
  opened_by: string;
  deadline_at: number;
  started_at: number | null;
  started_by: string | null;
  decided_at: number | null;
  decided_by: string | null;
  reject_reason: string | null;
  /** JSON: the response to the requester (counts, grounds of what was kept). */
  result: string | null;
  /** A restriction that was lifted (the request stays `completed`). */
  lifted_at: number | null;
  lifted_by: string | null;
  lift_reason: string | null;
}

export interface PrivacyRequestPersonsTable {
  request_id: number;
  person_id: number;
  /** JSON array of the identifiers that matched this person. */
  matched_by: string;
}

export interface PrivacyRequestRecordsTable {
  request_id: number;
  message_key: number;
  outcome: PrivacyRecordOutcome;
  /** JSON array of the legal grounds a record was kept restricted on (holds, policy floors), or null. */
  grounds: string | null;
  /** Until when the latest floor protects it (restricted by an erasure request), or null. */
  until_ms: number | null;
  updated_at: number;
}

/** Columns migration 0013 adds to `messages`. */
export interface MessageRestrictionColumns {
  /** Set while the message is RESTRICTED: stored, but excluded from search, view and export. */
  restricted_at: Generated<number | null>;
  /** JSON { requestId, kind } of the first request that restricted it. */
  restricted_reason: Generated<string | null>;
}
