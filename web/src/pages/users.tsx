import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, enc } from '../api';
import { DataTable, Dialog, ErrorMessage, Loading, Panel } from '../components/ui';
import { useI18n } from '../i18n';
import { useUser } from '../session';
import { ROLES, type Role, type SetupLink, type UserRow } from '../types';

const USERS_KEY = ['users'] as const;

function SetupLinkView({ link }: { link: SetupLink }): ReactNode {
  const { t, dateTime } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="setup-link" data-testid="setup-link">
      <p>{t('users.linkExplain', { time: dateTime(link.expiresAt) })}</p>
      <code className="secret" data-testid="setup-link-url">
        {link.setupLink}
      </code>
      <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(link.setupLink).then(() => setCopied(true))}>
        {copied ? t('recovery.copied') : t('users.copyLink')}
      </button>
    </div>
  );
}

function AddUser({ onCreated }: { onCreated: (l: SetupLink) => void }): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('employee');
  const [person, setPerson] = useState('');
  const [requireMfa, setRequireMfa] = useState(false);
  const add = useMutation({
    mutationFn: () => api.post<'POST /users'>('/users', { username: username.trim(), role, person: person.trim() === '' ? undefined : person.trim(), requireMfa: role === 'employee' ? requireMfa : undefined }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: USERS_KEY });
      setUsername('');
      setPerson('');
      onCreated(r);
    },
  });
  return (
    <form
      className="form form-inline"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
      data-testid="add-user-form"
    >
      <label>
        {t('users.username')}
        <input value={username} onChange={(e) => setUsername(e.target.value)} required pattern="[A-Za-z0-9._\-]{2,64}" autoComplete="off" data-testid="add-user-username" />
      </label>
      <label>
        {t('users.role')}
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="add-user-role">
          <RoleOptions />
        </select>
      </label>
      <label>
        {t('users.person')}
        <input value={person} onChange={(e) => setPerson(e.target.value)} required={role === 'employee'} placeholder={t('users.personPlaceholder')} data-testid="add-user-person" />
      </label>
      {role === 'employee' ? (
        <label className="check">
          <input type="checkbox" checked={requireMfa} onChange={(e) => setRequireMfa(e.target.checked)} />
          {t('users.requireMfa')}
        </label>
      ) : null}
      <button type="submit" disabled={add.isPending} data-testid="add-user-submit">
        {t('users.add')}
      </button>
      <ErrorMessage error={add.error} />
    </form>
  );
}

function mfaText(t: ReturnType<typeof useI18n>['t'], mfa: UserRow['mfa']): string {
  if (mfa === null || mfa === undefined) return '—';
  if (typeof mfa === 'boolean') return mfa ? t('common.yes') : t('common.no');
  const parts: string[] = [];
  if (mfa.totp) parts.push('TOTP');
  if ((mfa.passkeys ?? 0) > 0) parts.push(t('users.passkeys', { n: mfa.passkeys ?? 0 }));
  if (parts.length === 0) return mfa.required ? t('users.mfaMissing') : t('users.mfaNone');
  return parts.join(' + ');
}

export function UsersPage(): ReactNode {
  const { t, dateTime } = useI18n();
  const me = useUser();
  const qc = useQueryClient();
  const [link, setLink] = useState<{ username: string; link: SetupLink } | null>(null);
  const users = useQuery({ queryKey: USERS_KEY, queryFn: ({ signal }) => api.get<'GET /users'>('/users', { signal }) });
  const action = useMutation({
    mutationFn: async (a: { username: string; op: 'disable' | 'enable' | 'reset' | 'unlock' } | { username: string; op: 'role'; role: Role; person?: string }) => {
      if (a.op === 'role') return api.put<'PUT /users/:username/role'>(`/users/${enc(a.username)}/role`, { role: a.role, person: a.person });
      const r = await api.post<`POST /users/:username/${typeof a.op}`>(`/users/${enc(a.username)}/${a.op}`);
      if ('setupLink' in r) setLink({ username: a.username, link: { setupLink: r.setupLink, expiresAt: r.expiresAt } });
      return r;
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: USERS_KEY }),
  });

  return (
    <div className="page users-page" data-testid="users">
      <header className="page-header">
        <h1>{t('users.title')}</h1>
      </header>
      <Panel title={t('users.addTitle')}>
        <AddUser onCreated={(l) => setLink({ username: '', link: l })} />
      </Panel>
      <Panel title={t('users.listTitle')}>
        <ErrorMessage error={action.error} />
        {users.isPending ? (
          <Loading />
        ) : users.error ? (
          <ErrorMessage error={users.error} />
        ) : (
          <DataTable columns={[t('users.username'), t('users.role'), t('users.person'), t('users.status'), t('users.mfa'), t('users.lastLogin'), t('users.actions')]}>
            {users.data.users.map((u) => {
              const self = u.username === me?.username;
              const busy = action.isPending && action.variables?.username === u.username;
              return (
                <tr key={u.username} data-testid="user-row" data-username={u.username}>
                  <td>{u.username}</td>
                  <td>
                    <select value={u.role} disabled={self || busy} aria-label={t('users.changeRole', { user: u.username })} onChange={(e) => {
                        const role = e.target.value as Role;
                        // An employee account must be linked to the archive person it is.
                        let person: string | undefined;
                        if (role === 'employee' && !u.person) {
                          person = window.prompt(t('users.personPrompt', { user: u.username }))?.trim() || undefined;
                          if (!person) return;
                        }
                        if (window.confirm(t('users.roleConfirm', { user: u.username, role: t(`role.${role}`) }))) action.mutate({ username: u.username, op: 'role', role, person });
                      }}
                    >
                      <RoleOptions />
                    </select>
                  </td>
                  <td>{u.person ?? '—'}</td>
                  <td>
                    <span className={`badge status-${u.status}`}>{t(`users.status_${u.status}`)}</span>
                    {u.locked ? <span className="badge badge-warn">{t('users.locked')}</span> : null}
                    {u.approval ? (
                      <span className="badge badge-warn" data-testid="user-approval-pending" title={u.approval.requestedBy}>
                        {t('users.approvalPending')}
                      </span>
                    ) : null}
                  </td>
                  <td>{mfaText(t, u.mfa)}</td>
                  <td>{u.lastLoginAt ? dateTime(u.lastLoginAt) : '—'}</td>
                  <td className="row-actions">
                    {u.status === 'disabled' ? (
                      <button type="button" className="secondary small" disabled={busy} onClick={() => action.mutate({ username: u.username, op: 'enable' })} data-testid="user-enable">
                        {t('users.enable')}
                      </button>
                    ) : (
                      <button type="button" className="secondary small" disabled={busy || self} onClick={() => action.mutate({ username: u.username, op: 'disable' })} data-testid="user-disable">
                        {t('users.disable')}
                      </button>
                    )}
                    <button
                      type="button"
                      className="secondary small"
                      disabled={busy || self}
                      onClick={() => {
                        if (window.confirm(t('users.resetConfirm', { user: u.username }))) action.mutate({ username: u.username, op: 'reset' });
                      }}
                      data-testid="user-reset"
                    >
                      {t('users.reset')}
                    </button>
                    {u.locked ? (
                      <button type="button" className="secondary small" disabled={busy} onClick={() => action.mutate({ username: u.username, op: 'unlock' })}>
                        {t('users.unlock')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </Panel>
      <Dialog open={link !== null} title={link?.username ? t('users.resetDone', { user: link.username }) : t('users.created')} onClose={() => setLink(null)} testId="setup-link-dialog">
        {link ? <SetupLinkView link={link.link} /> : null}
      </Dialog>
    </div>
  );
}

/** The roles as the options of a select, in the viewer's language. */
function RoleOptions(): ReactNode {
  const { t } = useI18n();
  return ROLES.map((r) => (
    <option key={r} value={r}>
      {t(`role.${r}`)}
    </option>
  ));
}
