import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n';
import { ErrorMessage } from './ui';

const KEY = ['user-approvals'];

/**
 * For compliance users: the accounts an admin created, reset or re-roled into reading archived
 * content, which sign in only once a compliance user (not the admin) approves them. Shown only
 * when there are some.
 */
export function AccountApprovals(): ReactNode {
  const { t, dateTime } = useI18n();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: KEY, queryFn: () => api.get<'GET /user-approvals'>('/user-approvals') });
  const approve = useMutation({
    mutationFn: (username: string) => api.post<'POST /user-approvals/:username'>(`/user-approvals/${encodeURIComponent(username)}`),
    onSettled: () => void qc.invalidateQueries({ queryKey: KEY }),
  });
  if (!q.data || q.data.users.length === 0) return null;
  return (
    <section className="notice" data-testid="account-approvals">
      <h2>{t('approvals.title')}</h2>
      <p className="hint">{t('approvals.explain')}</p>
      <ul>
        {q.data.users.map((u) => (
          <li key={u.username} data-testid="account-approval" data-username={u.username}>
            <strong>{u.username}</strong> · {t(`role.${u.role}`)}
            {u.person ? ` · ${u.person}` : ''} · <span className="muted">{u.approval ? t('approvals.requested', { by: u.approval.requestedBy, time: dateTime(u.approval.requestedAt) }) : ''}</span>{' '}
            <button type="button" className="small" disabled={approve.isPending} onClick={() => approve.mutate(u.username)} data-testid="account-approve">
              {t('approvals.approve')}
            </button>
          </li>
        ))}
      </ul>
      <ErrorMessage error={approve.error} />
    </section>
  );
}
