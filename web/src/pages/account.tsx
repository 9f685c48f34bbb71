import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, enc, isApiError } from '../api';
import { MfaEnroll } from '../components/mfa-enroll';
import { DataTable, Dialog, ErrorMessage, Loading, Panel, passwordRefusal, RecoveryCodes } from '../components/ui';
import { DEFAULT_TIME_ZONE, useI18n } from '../i18n';
import { defaultPasskeyName, registerPasskey, useWebAuthnAvailable } from '../passkeys';
import { navigate } from '../router';
import { resetSession, SESSION_KEY, setSignedIn, setSignedOut, useUser } from '../session';
import { MIN_PASSWORD_LENGTH } from './setup';

const ZONES = [DEFAULT_TIME_ZONE, 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'UTC'];

function ChangePassword(): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const user = useUser();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () => api.post<'POST /me/password'>('/me/password', { currentPassword: current, newPassword: next }, { quiet401: true }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      void qc.invalidateQueries({ queryKey: ['me-sessions'] });
    },
  });
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (next.length < MIN_PASSWORD_LENGTH) return setLocalError(t('setup.tooShort', { n: MIN_PASSWORD_LENGTH }));
        if (next !== repeat) return setLocalError(t('setup.mismatch'));
        setLocalError(null);
        change.mutate();
      }}
    >
      <input type="text" name="username" autoComplete="username" value={user?.username ?? ''} readOnly hidden />
      <label>
        {t('account.currentPassword')}
        <input type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" required />
      </label>
      <label>
        {t('account.newPassword')}
        <input type="password" value={next} onChange={(e) => setNext(e.target.value)} autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required />
      </label>
      <label>
        {t('setup.repeat')}
        <input type="password" value={repeat} onChange={(e) => setRepeat(e.target.value)} autoComplete="new-password" required />
      </label>
      {localError ? (
        <p className="error" role="alert">
          {localError}
        </p>
      ) : null}
      {change.error && isApiError(change.error) && (change.error.status === 400 || change.error.status === 401) ? (
        <p className="error" role="alert">
          {change.error.status === 401 ? t('account.wrongPassword') : t('setup.rejected', { reason: passwordRefusal(t, change.error.message) })}
        </p>
      ) : (
        <ErrorMessage error={change.error} />
      )}
      {change.isSuccess ? (
        <p className="success" role="status">
          {t('account.passwordChanged')}
        </p>
      ) : null}
      <button type="submit" disabled={change.isPending}>
        {t('account.changePassword')}
      </button>
    </form>
  );
}

function Sessions(): ReactNode {
  const { t, dateTime } = useI18n();
  const qc = useQueryClient();
  const sessions = useQuery({ queryKey: ['me-sessions'], queryFn: ({ signal }) => api.get<'GET /me/sessions'>('/me/sessions', { signal }) });
  const end = useMutation({
    mutationFn: (id: string) => api.del<'DELETE /me/sessions/:id'>(`/me/sessions/${enc(id)}`),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['me-sessions'] }),
  });
  const everywhere = useMutation({
    mutationFn: () => api.post<'POST /auth/logout-all'>('/auth/logout-all'),
    onSuccess: (info) => setSignedOut(qc, info),
    onError: () => void resetSession(qc),
    onSettled: () => navigate('#/', { replace: true }),
  });
  return (
    <Panel
      title={t('account.sessions')}
      actions={
        <button type="button" className="danger" onClick={() => everywhere.mutate()} disabled={everywhere.isPending} data-testid="sign-out-everywhere">
          {t('account.signOutEverywhere')}
        </button>
      }
    >
      <ErrorMessage error={end.error ?? everywhere.error} />
      {sessions.isPending ? (
        <Loading />
      ) : sessions.error ? (
        <ErrorMessage error={sessions.error} />
      ) : (
        <DataTable columns={[t('account.device'), t('account.address'), t('account.started'), t('account.lastSeen'), <span className="visually-hidden">{t('users.actions')}</span>]}>
          {sessions.data.sessions.map((s) => (
            <tr key={s.id} data-testid="session-row">
              <td className="ua" title={s.userAgent ?? ''}>
                {s.userAgent ?? '—'}
              </td>
              <td>{s.address ?? '—'}</td>
              <td>{dateTime(s.createdAt)}</td>
              <td>{dateTime(s.lastSeenAt)}</td>
              <td>
                {s.current ? (
                  <span className="badge">{t('account.thisSession')}</span>
                ) : (
                  <button type="button" className="secondary small" onClick={() => end.mutate(s.id)} disabled={end.isPending}>
                    {t('account.endSession')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Panel>
  );
}

function Security(): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const user = useUser();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [enrolling, setEnrolling] = useState(false);
  const regenerate = useMutation({
    mutationFn: () => api.post<'POST /me/recovery-codes'>('/me/recovery-codes'),
    onSuccess: (r) => {
      setCodes(r.recoveryCodes);
      void qc.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  if (!user) return null;
  return (
    <Panel title={t('account.security')}>
      <dl className="details-list">
        <dt>{t('account.totp')}</dt>
        <dd>{user.mfa.totp ? t('account.enabled') : t('account.notEnabled')}</dd>
        <dt>{t('account.passkeys')}</dt>
        <dd>{user.mfa.passkeys ?? 0}</dd>
        <dt>{t('account.recoveryLeft')}</dt>
        <dd data-testid="recovery-left">{user.mfa.recoveryCodesLeft}</dd>
        <dt>{t('account.mfaRequired')}</dt>
        <dd>{user.mfa.required ? t('common.yes') : t('common.no')}</dd>
      </dl>
      <div className="actions">
        {!user.mfa.totp ? (
          <button type="button" onClick={() => setEnrolling(true)}>
            {t('account.setUpTotp')}
          </button>
        ) : null}
        <button
          type="button"
          className="secondary"
          onClick={() => {
            if (window.confirm(t('account.regenerateConfirm'))) regenerate.mutate();
          }}
          disabled={regenerate.isPending}
          data-testid="regenerate-codes"
        >
          {t('account.regenerate')}
        </button>
      </div>
      <ErrorMessage error={regenerate.error} />
      <Dialog open={codes !== null} title={t('recovery.title')} onClose={() => setCodes(null)}>
        {codes ? <RecoveryCodes codes={codes} onDone={() => setCodes(null)} /> : null}
      </Dialog>
      <Dialog open={enrolling} title={t('enroll.title')} onClose={() => setEnrolling(false)} wide>
        {enrolling ? (
          <MfaEnroll
            onDone={(u, csrf) => {
              setSignedIn(qc, u, csrf);
              setEnrolling(false);
            }}
          />
        ) : null}
      </Dialog>
    </Panel>
  );
}

function Passkeys(): ReactNode {
  const { t, dateTime } = useI18n();
  const qc = useQueryClient();
  const webauthn = useWebAuthnAvailable();
  const [name, setName] = useState(defaultPasskeyName);
  const [codes, setCodes] = useState<string[] | null>(null);
  const list = useQuery({ queryKey: ['me-passkeys'], queryFn: ({ signal }) => api.get<'GET /me/passkeys'>('/me/passkeys', { signal }) });
  const refresh = (): void => {
    void qc.invalidateQueries({ queryKey: ['me-passkeys'] });
    void qc.invalidateQueries({ queryKey: SESSION_KEY });
  };
  const add = useMutation({
    mutationFn: () => registerPasskey(name.trim() || undefined),
    onSuccess: (r) => {
      if (r.recoveryCodes && r.recoveryCodes.length > 0) setCodes(r.recoveryCodes);
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => api.del<'DELETE /me/passkeys/:id'>(`/me/passkeys/${enc(id)}`), onSettled: refresh });
  return (
    <Panel title={t('account.passkeysTitle')}>
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorMessage error={list.error} />
      ) : list.data.passkeys.length === 0 ? (
        <p className="hint">{t('account.noPasskeys')}</p>
      ) : (
        <ul className="plain-list" data-testid="passkey-list">
          {list.data.passkeys.map((p) => (
            <li key={p.id}>
              <span>
                <strong>{p.name}</strong>
                <span className="muted">
                  {' '}
                  · {t('account.passkeyAdded', { time: dateTime(p.createdAt) })}
                  {p.lastUsedAt ? ` · ${t('account.passkeyUsed', { time: dateTime(p.lastUsedAt) })}` : ''}
                </span>
              </span>
              <button
                type="button"
                className="secondary small"
                disabled={remove.isPending}
                onClick={() => {
                  if (window.confirm(t('account.passkeyRemoveConfirm', { name: p.name }))) remove.mutate(p.id);
                }}
              >
                {t('account.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorMessage error={remove.error} />
      {webauthn ? (
        <form
          className="form form-inline"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <label>
            {t('account.passkeyName')}
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
          </label>
          <button type="submit" disabled={add.isPending} data-testid="add-passkey">
            {t('account.addPasskey')}
          </button>
        </form>
      ) : (
        <p className="hint">{t('account.noWebAuthn')}</p>
      )}
      {add.error ? <p className="error" role="alert">{t('signin.passkeyFailed')}</p> : null}
      <Dialog open={codes !== null} title={t('recovery.title')} onClose={() => setCodes(null)}>
        {codes ? <RecoveryCodes codes={codes} onDone={() => setCodes(null)} /> : null}
      </Dialog>
    </Panel>
  );
}

function Preferences(): ReactNode {
  const { t, timeZone, setTimeZone } = useI18n();
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = [...new Set([timeZone, ...ZONES, browserZone])];
  return (
    <Panel title={t('account.preferences')}>
      <label>
        {t('account.timeZone')}{' '}
        <select value={timeZone} onChange={(e) => setTimeZone(e.target.value)} data-testid="time-zone">
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
              {z === browserZone ? ` (${t('account.browserZone')})` : ''}
            </option>
          ))}
        </select>
      </label>
    </Panel>
  );
}

export function AccountPage(): ReactNode {
  const { t } = useI18n();
  const user = useUser();
  if (!user) return null;
  return (
    <div className="page account-page" data-testid="account">
      <header className="page-header">
        <h1>{t('account.title')}</h1>
        <span className="muted">
          {user.username} · {t(`role.${user.role}`)}
          {user.person ? ` · ${t('users.person')} ${user.person}` : ''}
        </span>
      </header>
      {user.role === 'reviewer' ? <p className="hint">{t('reviewer.nothing')}</p> : null}
      <div className="two-col">
        <Panel title={t('account.changePassword')}>
          <ChangePassword />
        </Panel>
        <div>
          <Security />
          <Passkeys />
          <Preferences />
        </div>
      </div>
      <Sessions />
    </div>
  );
}
