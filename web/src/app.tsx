import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { api, onUnauthorized } from './api';
import { ErrorMessage, Loading } from './components/ui';
import { LANGS, useI18n, type Lang, type MessageKey } from './i18n';
import { AccountPage, AuditPage, ConversationPage, DashboardPage, DispositionPage, HoldsPage, MessagePage, preloadWhenIdle, PrivacyPage, RetentionPage, SearchPage, SetupPage, SignInPage, SourcesPage, SystemPage, UsersPage } from './lazy-pages';
import { href, navigate, useRoute } from './router';
import { homeOf, mayUse, resetSession, setSignedOut, useSession, type Area } from './session';
import type { SessionUser } from './types';

// Pages are code-split (lazy-pages.tsx): the first screen loads only its own page.
const NAV: { area: Area; label: MessageKey }[] = [
  { area: 'search', label: 'nav.search' },
  { area: 'dashboard', label: 'nav.dashboard' },
  { area: 'audit', label: 'nav.audit' },
  { area: 'users', label: 'nav.users' },
  { area: 'sources', label: 'nav.sources' },
  { area: 'retention', label: 'nav.retention' },
  { area: 'holds', label: 'nav.holds' },
  { area: 'disposition', label: 'nav.disposition' },
  { area: 'privacy', label: 'nav.privacy' },
  { area: 'system', label: 'nav.system' },
  { area: 'account', label: 'nav.account' },
];

function LanguageSwitch(): ReactNode {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang-switch">
      <span className="visually-hidden">{t('header.language')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang-switch" aria-label={t('header.language')}>
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {l === 'zh-CN' ? '中文' : 'English'}
          </option>
        ))}
      </select>
    </label>
  );
}

function Header({ user, current }: { user: SessionUser | undefined; current: string | undefined }): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => api.post<'POST /auth/logout'>('/auth/logout'),
    onSuccess: (info) => setSignedOut(qc, info),
    onError: () => void resetSession(qc),
    onSettled: () => navigate('#/', { replace: true }),
  });
  return (
    <header className="app-header">
      <a className="brand" href="#/">
        <span className="brand-mark" aria-hidden="true" />
        {t('app.name')}
      </a>
      {user ? (
        <nav className="main-nav" aria-label={t('header.navigation')}>
          {NAV.filter((n) => mayUse(user.role, n.area)).map((n) => (
            <a key={n.area} href={href([n.area])} className={current === n.area || (n.area === 'search' && (current === 'c' || current === 'm')) ? 'active' : undefined} aria-current={current === n.area ? 'page' : undefined} data-testid={`nav-${n.area}`}>
              {t(n.label)}
            </a>
          ))}
        </nav>
      ) : (
        <span className="spacer" />
      )}
      <div className="header-tools">
        <LanguageSwitch />
        {user ? (
          <>
            <span className="who" data-testid="current-user">
              {user.username} · {t(`role.${user.role}`)}
            </span>
            <button type="button" className="secondary" onClick={() => signOut.mutate()} disabled={signOut.isPending} data-testid="sign-out">
              {t('header.signOut')}
            </button>
          </>
        ) : null}
      </div>
    </header>
  );
}

function NotAllowed(): ReactNode {
  const { t } = useI18n();
  return (
    <div className="empty-state" data-testid="not-allowed">
      <p>{t('error.pageNotForRole')}</p>
    </div>
  );
}

function NotFoundPage(): ReactNode {
  const { t } = useI18n();
  return (
    <div className="empty-state">
      <p>{t('error.noSuchPage')}</p>
      <a href="#/">{t('common.home')}</a>
    </div>
  );
}

function Routes({ user }: { user: SessionUser }): ReactNode {
  const route = useRoute();
  const [first, second] = route.segments;
  const home = homeOf(user.role);
  useEffect(() => {
    if (first === undefined) navigate(href([home]), { replace: true });
  }, [first, home]);
  const guard = (area: Area, page: ReactNode): ReactNode => (mayUse(user.role, area) ? page : <NotAllowed />);
  switch (first) {
    case undefined:
      return null;
    case 'search':
      return guard('search', <SearchPage />);
    case 'c':
      return second ? guard('conversation', <ConversationPage conversationKey={second} />) : <NotFoundPage />;
    case 'm':
      return second ? guard('conversation', <MessagePage messageKey={second} />) : <NotFoundPage />;
    case 'dashboard':
      return guard('dashboard', <DashboardPage />);
    case 'audit':
      return guard('audit', <AuditPage />);
    case 'users':
      return guard('users', <UsersPage />);
    case 'sources':
      return guard('sources', <SourcesPage />);
    case 'system':
      return guard('system', <SystemPage />);
    case 'retention':
      return guard('retention', <RetentionPage />);
    case 'holds':
      return guard('holds', <HoldsPage matterRef={second} />);
    case 'disposition':
      return guard('disposition', <DispositionPage />);
    case 'privacy':
      return guard('privacy', <PrivacyPage requestRef={second} />);
    case 'account':
      return <AccountPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App(): ReactNode {
  const session = useSession();
  const route = useRoute();
  const qc = useQueryClient();
  const { t } = useI18n();
  useEffect(() => onUnauthorized(() => void resetSession(qc)), [qc]);

  const first = route.segments[0];
  const user = session.data?.status === 'signed_in' ? session.data.user : undefined;
  const role = user?.role;
  // Once the first screen is there: the chunks of the other pages this role may open, when idle.
  useEffect(() => (role === undefined ? undefined : preloadWhenIdle([...NAV.map((n) => n.area), 'conversation' as const].filter((a) => mayUse(role, a)))), [role]);

  let body: ReactNode;
  if (first === 'setup') {
    body = <SetupPage token={route.segments[1] ?? ''} />;
  } else if (session.isPending) {
    body = <Loading />;
  } else if (session.isError) {
    body = (
      <div className="empty-state">
        <ErrorMessage error={session.error} />
        <button type="button" onClick={() => void session.refetch()}>
          {t('common.retry')}
        </button>
      </div>
    );
  } else if (!user) {
    body = <SignInPage session={session.data} />;
  } else {
    body = <Routes user={user} />;
  }

  return (
    <div className="app">
      <Header user={first === 'setup' ? undefined : user} current={first} />
      <main className="app-main" id="main">
        {body}
      </main>
    </div>
  );
}
