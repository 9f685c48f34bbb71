import type { ConversationMembersTable, LoginThrottleTable, PasskeysTable, RecoveryCodesTable, SessionsTable, SetupTokensTable, UsersTable } from './tables/accounts.js';
import type { AuditEventsTable, AuditStateTable, AuditTreeHeadsTable } from './tables/audit.js';
import type { BlobsTable } from './tables/blobs.js';
import type { ConnectorMediaTable, ConsentEventsTable, SourceSettingsTable } from './tables/connectors.js';
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
  messages: MessagesTable;
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
  connector_media: ConnectorMediaTable;
  consent_events: ConsentEventsTable;
}
