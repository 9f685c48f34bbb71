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

/** The session as every sign-in step answers it (GET /auth/session, login, second factor, setup, sign-out). */
export interface SessionInfo {
  authenticated: boolean;
  status: SessionStatus;
  csrfToken: string;
  user?: SessionUser;
  /** Present after a password step (mfa_required). */
  methods?: MfaMethod[];
}

export type MfaMethod = 'totp' | 'recovery' | 'passkey';

export interface SetupInfo {
  username: string;
  role: Role;
  mfaRequired: boolean;
}

/** The answer of a step that always ends signed in (the server's signedInResponse). */
export interface SignedIn extends SessionInfo {
  status: 'signed_in';
  user: SessionUser;
}

/** POST /auth/totp/confirm: TOTP enrolled; the recovery codes are shown once. */
export interface TotpConfirmed extends SignedIn {
  recoveryCodes: string[];
}

/** POST /auth/passkey/register. */
export interface PasskeyRegistered extends SignedIn {
  /** When the account had none yet: shown once. */
  recoveryCodes?: string[];
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
  /** The title, else the members' names (a 1:1 chat, an unnamed group), else the id. */
  label: string;
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
  /** `label`: the title, else the members (a 1:1 chat: `张三 · 王经理`), else the id. */
  conversation: { key: string; source: string; id: string; type: 'direct' | 'group'; title: string | null; label: string };
  messages: Hit[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/** GET /conversations/:key/consent: the external parties' consent to archiving (WeCom), latest first. */
export interface ConversationConsent {
  conversation: { key: string; source: string; id: string };
  parties: {
    id: string;
    name: string | null;
    company: string | null;
    state: 'agree' | 'disagree';
    status: string | null;
    since: string;
    events: { action: 'agree' | 'disagree'; time: string; via: 'message' | 'check_single_agree' | 'check_room_agree'; status: string | null; messageId: string | null }[];
  }[];
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
  byConversation?: (GroupRow & { conversationKey?: number | string; source?: string; title?: string | null; label?: string; kind?: string })[];
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
  /** Seq ranges the source can never deliver (WeCom: expired before they were pulled). */
  unrecoverable?: { from: number; to: number; reason: 'expired'; detectedAt: string }[];
}

export type LagLevel = 'ok' | 'warning' | 'critical' | 'never_synced';

/** A connector source (e.g. a WeCom chat archive) that the server syncs itself. */
export interface ConnectorRow {
  name: string;
  kind: string;
  /** The seq watermark: the next sync continues after it. */
  cursor: number;
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  /** `completed`, `partial`, `failed` (others shown as they are). */
  lastSyncStatus: string | null;
  lastError: string | null;
  /** Time since the last sync (null: never synced). */
  lagMs: number | null;
  /** `warning`: approaching WeCom's 5-day retention; `critical`: past it. */
  lagLevel: LagLevel;
  /** Media downloads by status (`downloading`, `done`, `failed`). */
  media: Partial<Record<string, number>>;
  /** Files missing from archived messages, by state (waiting, attached, abandoned, gone, worm). */
  missingMedia?: Partial<Record<string, number>>;
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
  /** Waiting for a compliance user's approval of its access to archived content. */
  approval?: { requestedBy: string; requestedAt: string } | null;
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
  /** The title, else the members (a 1:1 chat: `张三 · 王经理`), else the id. */
  label: string;
  messages: number;
  lastTime: string | null;
}

// Retention, legal holds and disposition (src/http/routes/retention.ts and retention-runs.ts).
// Times of policies, matters and holds are epoch milliseconds; those of runs, reviews and certificates ISO strings.

export type RetentionAction = 'delete' | 'review';
export type RetentionFate = 'keep' | 'delete' | 'review';

export interface RetentionPolicy {
  id: number;
  name: string;
  /** Search-language filters; '' = every record. */
  scope: string;
  /** Floor (`30d`, `18m`, `6y`). */
  min: string | null;
  /** Ceiling. */
  max: string | null;
  action: RetentionAction;
  purpose: string;
  basis: string;
  /** Compliance mode: can be extended, never shortened, disabled or deleted. */
  locked: boolean;
  enabled: boolean;
  preset: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  version: number;
}

/** POST /retention/policies (and the dry run of a new policy). */
export interface RetentionPolicyInput {
  name: string;
  scope?: string;
  min?: string;
  max?: string;
  action?: RetentionAction;
  purpose?: string;
  basis?: string;
  locked?: boolean;
  preset?: string;
}

/** PUT /retention/policies/:ref (and the dry run of a change). null removes a duration. */
export interface RetentionPolicyChanges {
  scope?: string;
  min?: string | null;
  max?: string | null;
  action?: RetentionAction;
  purpose?: string;
  basis?: string;
  /** Locking is irreversible: only `true` is accepted. */
  locked?: true;
  enabled?: boolean;
}

export type RetentionDryRunRequest = { input: RetentionPolicyInput } | { ref: string; changes: RetentionPolicyChanges };

export interface RetentionPreset {
  name: string;
  title: { en: string; zh: string };
  scope: string;
  min?: string;
  max?: string;
  action: RetentionAction;
  locked: boolean;
  purpose: string;
  basis: string;
  note: string;
  /** The user must choose the ceiling. */
  needsMax?: boolean;
}

export interface RecordCount {
  records: number;
  /** Attachment bytes. */
  bytes: number;
}

export interface PolicyForecast {
  policyId: number;
  name: string;
  action: RetentionAction;
  dueNow: RecordCount;
  /** Keyed by horizon in days ('7', '30', '365'): due within that many days, those due now included. */
  within: Record<string, RecordCount>;
}

export interface RetentionForecast {
  at: number;
  records: number;
  policies: PolicyForecast[];
  /** Would be due, kept by a legal hold. */
  held: RecordCount;
  /** Floor ends after the ceiling (kept until the floor). */
  conflicts: { records: number; byPolicies: { floorPolicyId: number; ceilingPolicyId: number; records: number }[] };
  /** Frozen by an open privacy request. */
  frozen: number;
  durationMs: number;
}

export interface FateView {
  fate: RetentionFate;
  disposeAt: number | null;
  keepReason: string | null;
}

export interface RetentionDryRun {
  policy: { name: string; scope: string; min: string | null; max: string | null; action: string; locked: boolean; enabled: boolean };
  changedNow: number;
  changedWithinYear: number;
  newlyDue: RecordCount;
  noLongerDue: RecordCount;
  newConflicts: number;
  examples: { source: string; id: string; timeMs: number; type: string; before: FateView; after: FateView }[];
  durationMs: number;
}

export interface Matter {
  id: number;
  name: string;
  description: string | null;
  status: 'open' | 'closed';
  createdAt: number;
  createdBy: string;
  closedAt: number | null;
  closedBy: string | null;
  closeReason: string | null;
  activeHolds: number;
  releasedHolds: number;
}

export interface LegalHold {
  id: number;
  matterId: number;
  matter: string;
  scope: string | null;
  custodians: string[];
  conversations: string[];
  afterMs: number | null;
  beforeMs: number | null;
  reason: string;
  placedAt: number;
  placedBy: string;
  status: 'active' | 'released';
  releasedAt: number | null;
  releasedBy: string | null;
  releaseReason: string | null;
  /** GET /holds/:id: records it covers now. */
  covered?: number;
  /** POST /holds: records it covered when placed. */
  coveredAtPlacement?: number;
}

export interface HoldInput {
  matter: string;
  scope?: string;
  custodians?: string[];
  conversations?: string[];
  /** `YYYY-MM-DD` (the search language's after:/before:). */
  after?: string;
  before?: string;
  reason: string;
}

export interface DispositionPolicyCounts {
  disposed: number;
  queued: number;
  keptByHold: number;
  keptByPrivacy: number;
  conflicts: number;
  errors: number;
}

export interface DispositionCounts {
  examined: number;
  disposed: number;
  queued: number;
  alreadyQueued: number;
  retainedByReview: number;
  keptByHold: number;
  keptByPrivacy: number;
  conflicts: number;
  errors: number;
  bytesFreed: number;
  blobsDeleted: number;
  batches: number;
  durationMs: number;
  /** Keyed by policy id. */
  perPolicy: Record<string, DispositionPolicyCounts>;
  stoppedEarly: boolean;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface DispositionRun {
  id: number;
  status: RunStatus;
  dryRun: boolean;
  trigger: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  now: string;
  cursor: number | null;
  resumes: number;
  error: string | null;
  counts: DispositionCounts | null;
}

export interface DispositionRunResult extends DispositionRun {
  resumed: boolean;
  certificate: { merkleRoot: string; tombstones: number; auditSeq: number } | null;
}

export interface RetentionStatus {
  generatedAt: string;
  worm: { enabled: boolean; enabledAt: string | null; enabledBy: string | null };
  enabledPolicies: number;
  policiesWithMaximum: number;
  lastRuns: DispositionRun[];
  lastCompleted: DispositionRun | null;
  running: DispositionRun | null;
  nextRunDueAt: string | null;
  /** After a restore: scheduled disposition waits until a disposition is run by hand. */
  pausedAfterRestore: { backupId: string; snapshotAt: string; restoredAt: string } | null;
  /** No daily run completed when one should have: an alert. */
  overdue: boolean;
  alert: string | null;
  pendingReviews: number;
}

export interface DispositionCertificate {
  runId: number;
  auditSeq: number;
  time: string;
  actor: string;
  details: {
    runId: number;
    status: string;
    trigger: string;
    start: string;
    end: string;
    now: string;
    resumes: number;
    counts: DispositionCounts;
    policies: { id: number; name: string; version: number; min: string | null; max: string | null; action: string; locked: boolean }[];
    merkleRoot: string;
    tombstones: number;
    worm: boolean;
    leafForm: string;
  };
}

export interface CertificateVerification {
  runId: number;
  ok: boolean;
  auditSeq: number | null;
  merkleRoot: { certified: string | null; recomputed: string };
  tombstones: { certified: number | null; recomputed: number };
  treeSize: number | null;
  worm: boolean | null;
  problems: string[];
}

export type ReviewStatus = 'pending' | 'proposed' | 'approved' | 'rejected' | 'void';

export interface ReviewItem {
  id: number;
  messageKey: number;
  policyId: number;
  policyVersion: number | null;
  runId: number | null;
  status: ReviewStatus;
  queuedAt: string;
  proposal: 'dispose' | 'retain' | null;
  /** The actor (`user:<name>`). */
  proposedBy: string | null;
  proposedAt: string | null;
  proposalNote: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  voidReason: string | null;
}

/** A review step on several items (`POST /retention/reviews/propose|decide`): each done, or refused with its error. */
export interface BulkReviewResult {
  done: number;
  failed: number;
  results: ({ id: number; ok: true; review: ReviewItem } | { id: number; ok: false; code: string; message: string })[];
}

// Privacy requests of data subjects (src/http/routes/privacy.ts, docs/privacy-requests.md).

export type PrivacyKind = 'access' | 'erasure' | 'restriction';
export const PRIVACY_KINDS: readonly PrivacyKind[] = ['access', 'erasure', 'restriction'];
export type PrivacyStatus = 'open' | 'in-progress' | 'completed' | 'rejected';
export const PRIVACY_STATUSES: readonly PrivacyStatus[] = ['open', 'in-progress', 'completed', 'rejected'];

/** Why an erasure kept a record (restricted instead of erased). */
export interface PrivacyGround {
  type: 'legal-hold' | 'retention-floor' | 'other-restriction';
  holdId?: number;
  matterId?: number;
  matter?: string;
  policyId?: number;
  policy?: string;
  basis?: string;
  requestId?: number;
  records: number;
  until: string | null;
  law: string[];
}

export type PrivacyResponse =
  | { kind: 'access'; records: number; restricted: number; attachments: number; withheldAttachments: number; withheldRestricted: number; files: number; manifestSha256: string }
  | {
      kind: 'erasure';
      erased: number;
      restricted: number;
      grounds: PrivacyGround[];
      restrictedUntil: string | null;
      personDataErased: boolean;
      /** The draft answer to the requester. */
      notice: { en: string; zh: string };
    }
  | { kind: 'restriction'; restricted: number; alreadyRestricted: number };

export interface PrivacyRequestSummary {
  id: number;
  kind: PrivacyKind;
  status: PrivacyStatus;
  /** The identifiers given when it was opened. */
  subjects: string[];
  requester: string;
  openedAt: string;
  /** The actor (`user:<name>`). */
  openedBy: string;
  deadline: string;
  /** Undecided and past its deadline. */
  overdue: boolean;
  /** Whole days to the deadline (negative once past it); null once decided. */
  daysLeft: number | null;
  decidedAt: string | null;
  /** Decided after its deadline. */
  late: boolean;
  liftedAt: string | null;
}

export interface PrivacyPerson {
  id: string;
  name: string | null;
  kind: string | null;
  departments: string[];
  position: string | null;
  company: string | null;
  /** The identifiers of the request that matched this person. */
  matchedBy: string[];
}

export interface PrivacyRequest extends PrivacyRequestSummary {
  startedAt: string | null;
  startedBy: string | null;
  decidedBy: string | null;
  rejectReason: string | null;
  liftedBy: string | null;
  liftReason: string | null;
  persons: PrivacyPerson[];
  /** The subject's records now. */
  records: { total: number; sent: number; received: number; restricted: number };
  /** An undecided erasure: the subject's records are frozen. */
  freezes: boolean;
  outcomes: { exported: number; erased: number; restricted: number; lifted: number };
  /** Erasure: records archived after the execution (dated up to its decision), restricted until the next execution decides them. */
  awaitingExecution: number;
  response: PrivacyResponse | null;
}

export interface PrivacyRequestInput {
  kind: PrivacyKind;
  subjects: string[];
  requester: string;
  deadlineDays?: number;
}

export interface PrivacyExecuteResult {
  request: PrivacyRequest;
  response: PrivacyResponse;
}

export interface PrivacyLiftResult {
  request: PrivacyRequest;
  lifted: number;
  stillRestricted: number;
}

/**
 * What each route of the API returns, as the console reads it (`METHOD /path` as the server declares
 * it). test/http/web-api-types.check.ts proves, at type-check time, that the server's response
 * schema fits every entry: a field the server renames, drops or retypes breaks `npm run typecheck`.
 */
export interface ApiResponses {
  'GET /auth/session': SessionInfo;
  'POST /auth/login': SessionInfo;
  'POST /auth/mfa/totp': SessionInfo;
  'POST /auth/mfa/recovery': SessionInfo;
  'POST /auth/mfa/passkey/options': Record<string, unknown> & { options?: unknown };
  'POST /auth/mfa/passkey': SessionInfo;
  'GET /auth/setup/:token': SetupInfo;
  'POST /auth/setup/:token': SessionInfo;
  'POST /auth/totp/enroll': TotpEnrollment;
  'POST /auth/totp/confirm': TotpConfirmed;
  'POST /auth/passkey/register/options': Record<string, unknown> & { options?: unknown };
  'POST /auth/passkey/register': PasskeyRegistered;
  'POST /auth/logout': SessionInfo;
  'POST /auth/logout-all': SessionInfo;
  'GET /me/passkeys': { passkeys: PasskeyRow[] };
  'DELETE /me/passkeys/:id': { ok: boolean };
  'POST /me/password': { ok: boolean };
  'GET /me/sessions': { sessions: SessionRow[] };
  'DELETE /me/sessions/:id': { ok: boolean };
  'POST /me/recovery-codes': { recoveryCodes: string[] };
  'GET /users': { users: UserRow[] };
  'POST /users': SetupLink & { user: UserRow };
  'PUT /users/:username/role': { user: UserRow };
  'POST /users/:username/disable': { user: UserRow };
  'POST /users/:username/enable': { user: UserRow };
  'POST /users/:username/unlock': { user: UserRow };
  'GET /user-approvals': { users: UserRow[] };
  'POST /user-approvals/:username': { user: UserRow };
  'POST /users/:username/reset': SetupLink & { user: UserRow };
  'GET /search': SearchResult;
  'GET /messages/:key': MessageResult;
  'GET /conversations': { total: number; conversations: ConversationSummary[] };
  'GET /conversations/:key/messages': ConversationPage;
  'GET /conversations/:key/consent': ConversationConsent;
  'GET /stats': Stats;
  'GET /sources': SourcesResult;
  'POST /sources/:name/sync': { requested: boolean };
  'GET /system/scan': ScanReport;
  'GET /audit/events': AuditEventsResult;
  'GET /audit/head': AuditHead;
  'POST /audit/verify': AuditVerify;
  'GET /audit/proof/:seq': AuditProof;
  'GET /retention/policies': { policies: RetentionPolicy[] };
  'POST /retention/policies': RetentionPolicy;
  'PUT /retention/policies/:ref': RetentionPolicy;
  'POST /retention/dry-run': RetentionDryRun;
  'GET /retention/presets': { presets: RetentionPreset[] };
  'GET /retention/forecast': RetentionForecast;
  'GET /matters': { matters: Matter[] };
  'POST /matters': Matter;
  'GET /matters/:ref': Matter & { holds: LegalHold[] };
  'POST /matters/:ref/close': Matter;
  'GET /holds': { holds: LegalHold[] };
  'POST /holds': LegalHold;
  'GET /holds/:id': LegalHold;
  'POST /holds/:id/release': LegalHold;
  'GET /retention/runs': { runs: DispositionRun[] };
  'POST /retention/runs': DispositionRunResult;
  'GET /retention/status': RetentionStatus;
  'GET /retention/certificates': { certificates: DispositionCertificate[] };
  'GET /retention/certificates/:id/verify': CertificateVerification;
  'GET /retention/reviews': { total: number; items: ReviewItem[] };
  'POST /retention/reviews/:id/propose': ReviewItem;
  'POST /retention/reviews/:id/decide': ReviewItem;
  'POST /retention/reviews/propose': BulkReviewResult;
  'POST /retention/reviews/decide': BulkReviewResult;
  'GET /privacy/requests': { requests: PrivacyRequestSummary[]; overdue: number };
  'POST /privacy/subjects/preview': { persons: PrivacyPerson[]; records: number };
  'POST /privacy/requests': { request: PrivacyRequest };
  'GET /privacy/requests/:id': { request: PrivacyRequest };
  'POST /privacy/requests/:id/execute': PrivacyExecuteResult;
  'POST /privacy/requests/:id/reject': { request: PrivacyRequest };
  'POST /privacy/requests/:id/lift': PrivacyLiftResult;
}

/**
 * The bodies the console sends, by route. test/http/web-api-types.check.ts proves that the server's
 * body schema accepts each of them (as TypeScript sees it; the schema's limits still apply). Routes
 * left out take no body, or one the console passes through from elsewhere (WebAuthn responses).
 */
export interface ApiRequests {
  'POST /auth/login': { username: string; password: string };
  'POST /auth/mfa/totp': { code: string };
  'POST /auth/mfa/recovery': { code: string };
  'POST /auth/setup/:token': { password: string };
  'POST /auth/totp/confirm': { code: string };
  'POST /me/password': { currentPassword: string; newPassword: string };
  'POST /users': { username: string; role: Role; person?: string | undefined; requireMfa?: boolean | undefined };
  'PUT /users/:username/role': { role: Role; person?: string | undefined };
  'POST /retention/policies': RetentionPolicyInput;
  'PUT /retention/policies/:ref': RetentionPolicyChanges;
  'POST /retention/dry-run': RetentionDryRunRequest;
  'POST /matters': { name: string; description?: string | undefined };
  'POST /matters/:ref/close': { reason: string };
  'POST /holds': HoldInput;
  'POST /holds/:id/release': { reason: string };
  'POST /retention/runs': { dryRun: boolean };
  'POST /retention/reviews/:id/propose': { proposal: 'dispose' | 'retain'; note?: string | undefined };
  'POST /retention/reviews/:id/decide': { approve: boolean; note?: string | undefined };
  'POST /retention/reviews/propose': { ids: number[]; proposal: 'dispose' | 'retain'; note?: string | undefined };
  'POST /retention/reviews/decide': { ids: number[]; approve: boolean; note?: string | undefined };
  'POST /privacy/requests': PrivacyRequestInput;
  'POST /privacy/subjects/preview': { subjects: string[] };
  'POST /privacy/requests/:id/reject': { reason: string };
  'POST /privacy/requests/:id/lift': { reason: string };
}
