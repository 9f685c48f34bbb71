import type { ConversationMembersTable, LoginThrottleTable, PasskeysTable, RecoveryCodesTable, SessionsTable, SetupTokensTable, UsersTable } from './tables/accounts.js';
import type { AuditEventsTable, AuditStateTable, AuditTreeHeadsTable } from './tables/audit.js';
import type { BackupBucketsTable, BackupDisposedRecordsTable, BackupKeyRetirementsTable, BackupRunsTable, DisposalDigestsTable } from './tables/backups.js';
import type { BlobsTable } from './tables/blobs.js';
import type { ConnectorMediaTable, ConsentEventsTable, MissingMediaTable, SourceGapsTable, SourceSettingsTable } from './tables/connectors.js';
import type { BlobPurgesTable, DispositionReviewColumns, DispositionRunColumns } from './tables/disposition.js';
import type { MessageRestrictionColumns, PrivacyRequestPersonsTable, PrivacyRequestRecordsTable, PrivacyRequestsTable } from './tables/privacy.js';
import type { DispositionReviewsTable, DispositionRunsTable, LegalHoldsTable, MattersTable, RetentionPoliciesTable, TombstonesTable } from './tables/retention.js';
import type { UsageConversationTable, UsageDailyTable, UsagePersonTable } from './tables/usage.js';
import type {
  AttachmentsTable, ConversationsTable, ImportsTable, MessagesTable, MetaTable, PendingRecallsTable, PersonsTable,
  QuarantineTable, SourceSeqRangesTable, SourcesTable,
} from './tables/core.js';

/** The whole database as Kysely sees it. The FTS table is reached through search/ with raw SQL. */
export interface Database {
  meta: MetaTable;
  sources: SourcesTable;
  source_seq_ranges: SourceSeqRangesTable;
  persons: PersonsTable;
  conversations: ConversationsTable;
  /** With the restricted state of privacy requests (migration 0013). */
  messages: MessagesTable & MessageRestrictionColumns;
  attachments: AttachmentsTable;
  pending_recalls: PendingRecallsTable;
  imports: ImportsTable;
  quarantine: QuarantineTable;
  audit_events: AuditEventsTable;
  audit_tree_heads: AuditTreeHeadsTable;
  audit_state: AuditStateTable;
  blobs: BlobsTable;
  users: UsersTable;
  setup_tokens: SetupTokensTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  conversation_members: ConversationMembersTable;
  passkeys: PasskeysTable;
  usage_daily: UsageDailyTable;
  usage_person: UsagePersonTable;
  usage_conversation: UsageConversationTable;
  source_settings: SourceSettingsTable;
  source_gaps: SourceGapsTable;
  missing_media: MissingMediaTable;
  connector_media: ConnectorMediaTable;
  consent_events: ConsentEventsTable;
  retention_policies: RetentionPoliciesTable;
  matters: MattersTable;
  legal_holds: LegalHoldsTable;
  disposition_runs: DispositionRunsTable & DispositionRunColumns;
  tombstones: TombstonesTable;
  disposition_reviews: DispositionReviewsTable & DispositionReviewColumns;
  blob_purges: BlobPurgesTable;
  backup_buckets: BackupBucketsTable;
  backup_key_retirements: BackupKeyRetirementsTable;
  backup_disposed_records: BackupDisposedRecordsTable;
  disposal_digests: DisposalDigestsTable;
  backup_runs: BackupRunsTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_request_persons: PrivacyRequestPersonsTable;
  privacy_request_records: PrivacyRequestRecordsTable;
}
