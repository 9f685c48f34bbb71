import { useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { ErrorMessage, Loading } from './components/ui';
import { useI18n } from './i18n';
import type { Area } from './session';

/**
 * Every page is a chunk of its own, loaded on demand, and can be preloaded: boot.ts starts the current
 * page's chunk together with the session request, and the app fetches the other pages' chunks when
 * the browser is idle.
 *
 * Not React.lazy + <Suspense>: a page whose chunk is already there renders at once, and one still on
 * its way shows "loading" as ordinary state. React holds back the content that replaces a Suspense
 * fallback until 300 ms after the fallback appeared, so each first visit of a page waited up to 300 ms
 * for nothing (the first screen included).
 */
export interface LazyPage<P extends object> {
  (props: P): ReactNode;
  /** Loads the chunk (once; again after a failure). */
  preload(): Promise<unknown>;
}

function LoadFailed({ error, onRetry }: { error: unknown; onRetry: () => void }): ReactNode {
  const { t } = useI18n();
  return (
    <div className="empty-state">
      <ErrorMessage error={error} />
      <button type="button" onClick={onRetry}>
        {t('common.retry')}
      </button>
    </div>
  );
}

export function lazyPage<M, P extends object>(load: () => Promise<M>, pick: (m: M) => ComponentType<P>): LazyPage<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const preload = (): Promise<ComponentType<P>> => {
    pending ??= load().then(
      (m) => (loaded = pick(m)),
      (e: unknown) => {
        pending = undefined;
        throw e;
      },
    );
    return pending;
  };
  function Page(props: P): ReactNode {
    const [state, setState] = useState<{ page?: ComponentType<P>; error?: unknown }>(() => ({ page: loaded }));
    useEffect(() => {
      if (state.page !== undefined || state.error !== undefined) return undefined;
      let live = true;
      preload().then(
        (page) => live && setState({ page }),
        (error: unknown) => live && setState({ error }),
      );
      return () => {
        live = false;
      };
    }, [state]);
    if (state.page !== undefined) {
      const Loaded = state.page;
      return <Loaded {...props} />;
    }
    if (state.error !== undefined) return <LoadFailed error={state.error} onRetry={() => setState({})} />;
    return <Loading />;
  }
  return Object.assign(Page, { preload });
}

export const SignInPage = lazyPage(() => import('./pages/sign-in'), (m) => m.SignInPage);
export const SetupPage = lazyPage(() => import('./pages/setup'), (m) => m.SetupPage);
export const SearchPage = lazyPage(() => import('./pages/search'), (m) => m.SearchPage);
export const ConversationPage = lazyPage(() => import('./pages/conversation'), (m) => m.ConversationPage);
export const MessagePage = lazyPage(() => import('./pages/conversation'), (m) => m.MessagePage);
export const DashboardPage = lazyPage(() => import('./pages/dashboard'), (m) => m.DashboardPage);
export const AuditPage = lazyPage(() => import('./pages/audit'), (m) => m.AuditPage);
export const UsersPage = lazyPage(() => import('./pages/users'), (m) => m.UsersPage);
export const SourcesPage = lazyPage(() => import('./pages/sources'), (m) => m.SourcesPage);
export const SystemPage = lazyPage(() => import('./pages/system'), (m) => m.SystemPage);
export const RetentionPage = lazyPage(() => import('./pages/retention'), (m) => m.RetentionPage);
export const HoldsPage = lazyPage(() => import('./pages/holds'), (m) => m.HoldsPage);
export const DispositionPage = lazyPage(() => import('./pages/disposition'), (m) => m.DispositionPage);
export const PrivacyPage = lazyPage(() => import('./pages/privacy'), (m) => m.PrivacyPage);
export const AccountPage = lazyPage(() => import('./pages/account'), (m) => m.AccountPage);

/** The pages of each area (a conversation's chunk holds the message page too). */
export const AREA_PAGES: Record<Area, readonly { preload(): Promise<unknown> }[]> = {
  search: [SearchPage],
  conversation: [ConversationPage, MessagePage],
  dashboard: [DashboardPage],
  audit: [AuditPage],
  users: [UsersPage],
  sources: [SourcesPage],
  system: [SystemPage],
  retention: [RetentionPage],
  holds: [HoldsPage],
  disposition: [DispositionPage],
  privacy: [PrivacyPage],
  account: [AccountPage],
};

/** Loads the chunk(s) of an area's pages. */
export const preloadArea = (area: Area): Promise<unknown> => Promise.all(AREA_PAGES[area].map((p) => p.preload()));

/** Loads the chunks of `areas` one after the other while the browser has nothing else to do. */
export function preloadWhenIdle(areas: readonly Area[]): () => void {
  let cancelled = false;
  let handle: number | undefined;
  const idle = (fn: () => void): void => {
    handle = typeof window.requestIdleCallback === 'function' ? window.requestIdleCallback(fn, { timeout: 5000 }) : window.setTimeout(fn, 200);
  };
  const next = (i: number): void => {
    if (cancelled || i >= areas.length) return;
    void preloadArea(areas[i] as Area)
      .catch(() => undefined)
      .then(() => idle(() => next(i + 1)));
  };
  const start = window.setTimeout(() => idle(() => next(0)), 1000);
  return () => {
    cancelled = true;
    window.clearTimeout(start);
    if (handle !== undefined) {
      if (typeof window.cancelIdleCallback === 'function') window.cancelIdleCallback(handle);
      else window.clearTimeout(handle);
    }
  };
}
