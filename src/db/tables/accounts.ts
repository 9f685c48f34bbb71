import type { Generated } from 'kysely';

/** Kysely table types of accounts, sessions and access scoping (migration 0005). Times are UTC epoch ms. */

export type UserStatus = 'pending_setup' | 'active' | 'disabled';

export interface UsersTable {
  id: Generated<number>;
  /** Lower-cased; unique. */
  username: string;
  role: string;
  /** persons.ext_id this account is linked to (employees), or null. */
  person_ext_id: string | null;
  status: UserStatus;
  /** argon2id hash string, or null before setup. */
  password_hash: string | null;
  /** 1 when the admin requires MFA for a role that does not require it by default (employee). */
  require_mfa: number;
  /** TOTP secret sealed with the account-secrets key (crypto/account-secrets.ts), or null. */
  totp_secret: Buffer | null;
  /** Highest TOTP time step accepted: a code is never accepted twice. */
  totp_last_step: number | null;
  failed_logins: number;
  locked_at: number | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  /** Who (an admin in the console or API) created, reset or re-roled it into reading content; it signs in once a compliance user approves (migration 0027). */
  access_requested_by: Generated<string | null>;
  access_requested_at: Generated<number | null>;
}

export interface SetupTokensTable {
  /** SHA-256 hex of the token (the token itself is only in the link). */
  token_hash: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface RecoveryCodesTable {
  user_id: number;
  /** HMAC-SHA-256 hex of the normalized code. */
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export type SessionState = 'anonymous' | 'mfa_required' | 'enroll_mfa' | 'signed_in';

export interface SessionsTable {
  /** SHA-256 hex of the cookie token. */
  id: string;
  /** Short public id (shown in "my sessions"; never the token). */
  public_id: string;
  user_id: number | null;
  state: SessionState;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** Absolute expiry. */
  expires_at: number;
  address: string;
  user_agent: string | null;
  /** A TOTP secret being enrolled (sealed), until confirmed. */
  pending_totp_secret: Buffer | null;
  /** The challenge of a WebAuthn ceremony in progress (migration 0006). */
  webauthn_challenge: string | null;
}

/** A passkey (WebAuthn credential) of a user (migration 0006). */
export interface PasskeysTable {
  /** Credential id, base64url. */
  id: string;
  user_id: number;
  name: string;
  /** COSE public key. */
  public_key: Buffer;
  counter: number;
  /** JSON array of transports, or null. */
  transports: string | null;
  created_at: number;
  last_used_at: number | null;
}

/** Failed sign-in attempts per account name and per address (for growing delays). */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_failure_at: number;
  blocked_until: number;
}

/** Persons who took part in a conversation (sent or received a message in it): the employee scope. */
export interface ConversationMembersTable {
  conversation_id: number;
  person_id: number;
}
