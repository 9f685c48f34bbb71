/** Shapes of the HTTP API (docs/api.md). Optional fields are tolerated where the server may add them later. */

export type Role = 'admin' | 'compliance' | 'reviewer' | 'auditor' | 'employee';
export const ROLES: readonly Role[] = ['admin', 'compliance', 'reviewer', 'auditor', 'employee'];

export interface MfaState {
  totp: boolean;
  /** Not reported by every server version. */
  passkeys?: number;
  recoveryCodesLeft: number;
  required: boolean;
}

export interface SessionUser {
  username: string;
  role: Role;
  person: string | null;
  mfa: MfaState;
}

export type SessionStatus = 'anonymous' | 'mfa_required' | 'enroll_mfa' | 'signed_in';

export interface SessionInfo {
  authenticated: boolean;
  status: SessionStatus;
  csrfToken: string;
  user?: SessionUser;
  /** Present after a password step (mfa_required). */
  methods?: MfaMethod[];
}

export type MfaMethod = 'totp' | 'recovery' | 'passkey';

export interface LoginResult {
  status: 'mfa_required' | 'signed_in' | 'enroll_mfa';
  csrfToken: string;
  methods?: MfaMethod[];
  user?: SessionUser;
}

export interface SetupInfo {
  username: string;
  role: Role;
  mfaRequired: boolean;
}

export interface TotpEnrollment {
  secret: string;
  uri: string;
  qrSvg: string;
}

export interface Person {
  id: string;
  name: string | null;
}

/** Malware scan of an attachment: only `clean` and `not_scanned` are served (pending: 409, infected: 403). */
export type ScanStatus = 'not_scanned' | 'clean' | 'pending' | 'infected';
export const SCAN_STATUSES: readonly ScanStatus[] = ['not_scanned', 'clean', 'pending', 'infected'];

export interface AttachmentInfo {
  ordinal: number;
  name: string;
  mime: string | null;
  size: number;
  sha256?: string;
  /** Absent from older servers (then the attachment is served). */
  scan?: ScanStatus;
}

export interface ConversationRef {
  /** The conversation's key for /conversations/{key}; present when the server provides it. */
  key?: string;
  id: string;
  type: 'direct' | 'group';
  title: string | null;
}

export interface Hit {
  key: string;
  source: string;
  id: string;
  time: string;
  conversation: ConversationRef;
  from: Person;
  type: string;
  text: string | null;
  recalled: boolean;
  recalledAt: string | null;
  attachments: AttachmentInfo[];
  /** Structured fields (call, link, card, location…) when the server includes them. */
  fields?: Record<string, unknown> | null;
  to?: Person[];
}

export interface Message extends Hit {
  to: Person[];
  fields: Record<string, unknown> | null;
  recordHash: string;
  archivedAt: string;
}

export interface SearchResult {
  total: number;
  hits: Hit[];
}

export interface MessageResult {
  message: Message;
  context: { before: Hit[]; after: Hit[] };
}

export interface ConversationPage {
  conversation: { key: string; source: string; id: string; type: 'direct' | 'group'; title: string | null };
  messages: Hit[];
  hasBefore: boolean;
  hasAfter: boolean;
}

export interface GroupRow {
  key: string;
  count: number;
  textBytes: number;
  attachments: number;
  attachmentBytes: number;
}

export interface Stats {
  generatedAt: string;
  timeZone: string;
  totals: { messages: number; textBytes: number; recalled: number; persons: number; conversations: number; sources: number };
  attachments: {
    references: number;
    logicalBytes: number;
    uniqueBlobs: number;
    uniqueBytes: number;
    storedBytes: number;
    dedupSavedBytes: number;
    compressionSavedBytes: number;
  };
  storage: { dataDirBytes: number; databaseBytes: number; blobBytes: number };
  byType: GroupRow[];
  bySource: GroupRow[];
  /** Omitted for admin. */
  byPerson?: (GroupRow & { name?: string | null })[];
  byDay: GroupRow[];
  /** Per day and message type. */
  byDayType?: (GroupRow & { day: string; type: string })[];
  /** Top conversations by volume (omitted for admin, like byPerson). */
  byConversation?: (GroupRow & { conversationKey?: number | string; source?: string; title?: string | null; kind?: string })[];
}

export interface SourceGap {
  from: number;
  to: number;
  missing: number;
}

/** A source as GET /sources reports it (older and newer field names both accepted). */
export interface SourceRow {
  name: string;
  records?: number;
  messages?: number;
  firstSeq?: number | null;
  lastSeq: number | null;
  /** Time of the newest message. */
  lastTime?: string | null;
  lastImportAt?: string | null;
  /** The first gaps, or their number. */
  gaps: number | SourceGap[];
  gapCount?: number;
  missing?: number;
  quarantined?: number;
}

export type LagLevel = 'ok' | 'warning' | 'critical' | 'never_synced';

/** A connector source (e.g. a WeCom chat archive) that the server syncs itself. */
export interface ConnectorRow {
  name: string;
  kind: string;
  /** The seq watermark: the next sync continues after it. */
  cursor: number;
  lastSyncAt: string | null;
  /** `completed`, `partial`, `failed` (others shown as they are). */
  lastSyncStatus: string | null;
  lastError: string | null;
  /** Time since the last sync (null: never synced). */
  lagMs: number | null;
  /** `warning`: approaching WeCom's 5-day retention; `critical`: past it. */
  lagLevel: LagLevel;
  /** Media downloads by status (`downloading`, `done`, `failed`). */
  media: Partial<Record<string, number>>;
  /** The consent ledger, newest first. */
  consent: { party: string; action: 'agree' | 'disagree' | (string & {}); time: string }[];
}

export interface SourcesResult {
  sources: SourceRow[];
  /** Quarantined lines, all sources together. */
  quarantined?: number;
  /** Absent from older servers. */
  connectors?: ConnectorRow[];
}

export interface ScanReport {
  scanner: { configured: boolean; reachable: boolean; engine?: string };
  counts: Record<ScanStatus, number>;
  /** Infected attachments: blob id prefix, signature, size, the messages that carry them (no content). */
  infected: { blob: string; signature: string | null; engine: string | null; scannedAt: string | null; size: number; messageKeys: (number | string)[] }[];
}

export interface AuditEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string | null;
  details: unknown;
  leafHash?: string;
}

export interface AuditEventsResult {
  events: AuditEvent[];
  /** Tree size (all events). */
  size?: number;
  /** Events matching the filters, when the server counts them. */
  total?: number;
}

export interface AuditHead {
  size: number;
  rootHash: string;
  timeMs?: number;
  time: string;
  signature: string;
  keyId: string;
  publicKey?: string;
}

export interface AuditVerify {
  ok: boolean;
  size: number;
  problems: { kind?: string; seq?: number; size?: number; message: string }[];
  eventsChecked?: number;
  headsChecked?: number;
  problemCount?: number;
}

export interface AuditProof {
  index?: number;
  seq?: number;
  size: number;
  leafHash: string;
  rootHash: string;
  proof: string[];
  head?: AuditHead | null;
}

export type UserStatus = 'active' | 'disabled' | 'pending_setup';

export interface UserRow {
  username: string;
  role: Role;
  person: string | null;
  status: UserStatus;
  locked: boolean;
  mfa: MfaState | boolean | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface SetupLink {
  setupLink: string;
  expiresAt: string;
}

export interface SessionRow {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  address: string | null;
  userAgent: string | null;
}

export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ConversationSummary {
  key: string;
  source: string;
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  messages: number;
  lastTime: string | null;
}
