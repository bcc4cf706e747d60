// The console's shell: log in, then a menu of the pages the role may see (navigation.ts), hash
// routes (#/stations/S1) so the gateway serves one index.html, and one live stream per session
// that refreshes the overview and tells the open page to re-read.
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, followLive, loadSession, type Session, saveSession, setUnauthorisedHandler } from './api.js';
import { formatDateTimeZh } from './format.js';
import { t, tDynamic } from './i18n/messages.js';
import { type PageId, pageIds, pagesOf, pageTitles } from './navigation.js';
import { Alerts } from './pages/Alerts.js';
import { Audit } from './pages/Audit.js';
import { Commissions } from './pages/Commissions.js';
import { Complaints } from './pages/Complaints.js';
import { Daily } from './pages/Daily.js';
import { Login } from './pages/Login.js';
import { Network } from './pages/Network.js';
import { NetworkStation } from './pages/NetworkStation.js';
import { Oversight } from './pages/Oversight.js';
import { Overview } from './pages/Overview.js';
import { Quota } from './pages/Quota.js';
import { Repairs } from './pages/Repairs.js';
import { StationDetail } from './pages/StationDetail.js';
import { Stations } from './pages/Stations.js';
import type { Overview as OverviewData } from './types.js';

interface Route {
  readonly page: PageId;
  readonly stationId?: string;
}

/** The shortest time between two re-reads caused by live events (ms). */
const refreshMsMin = 300;

function routeOf(hash: string): Route {
  const [page = '', id] = hash.replace(/^#\/?/, '').split('/');
  if ((page === 'stations' || page === 'network') && id !== undefined && id !== '')
    return { page, stationId: decodeURIComponent(id) };
  const known: readonly string[] = pageIds;
  return { page: (known.includes(page) ? page : 'overview') as PageId };
}

export function App(): ReactNode {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.hash));
  const [overview, setOverview] = useState<OverviewData | null>(null);
  const [live, setLive] = useState(false);
  const [lastEvent, setLastEvent] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  // Live events re-read the open page at most once per refreshMsMin: a burst of kiosks coming
  // back after a network outage is one re-read, not hundreds.
  const refreshTimer = useRef<number | null>(null);
  const requestRefresh = useCallback((): void => {
    if (refreshTimer.current !== null) return;
    refreshTimer.current = window.setTimeout(() => {
      refreshTimer.current = null;
      setRefreshKey((n) => n + 1);
    }, refreshMsMin);
  }, []);

  const logOut = useCallback((): void => {
    saveSession(null);
    setSession(null);
    setOverview(null);
  }, []);
  useEffect(() => setUnauthorisedHandler(logOut), [logOut]);
  useEffect(() => {
    const onHash = (): void => setRoute(routeOf(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    if (session === null) return;
    api<OverviewData>(session, 'GET', '/api/v1/overview').then(setOverview, () => {});
  }, [session, refreshKey]);
  useEffect(() => {
    if (session === null) return undefined;
    const abort = new AbortController();
    void followLive(
      session,
      abort.signal,
      (message) => {
        if (message.event === 'station') {
          const data = message.data as { stationId: string; online: boolean };
          setLastEvent(`${data.stationId} ${tDynamic(data.online ? 'state.online' : 'state.offline')}`);
          requestRefresh();
        } else if (message.event === 'transactions') {
          requestRefresh();
        } else if (message.event === 'session-ended') {
          logOut();
        }
      },
      setLive,
    );
    return () => abort.abort();
  }, [session, logOut, requestRefresh]);

  if (session === null) {
    return (
      <Login
        onSession={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  const pages = pagesOf(session.role);
  const page = pages.includes(route.page) ? route.page : 'overview';
  const signOut = async (): Promise<void> => {
    try {
      await api(session, 'DELETE', '/api/v1/session');
    } finally {
      logOut();
    }
  };
  return (
    <div className="shell">
      <a className="skip" href="#main">
        跳到正文
      </a>
      <header className="top">
        <h1>{t('appTitle')}</h1>
        <p className="who" data-testid="who">
          {session.user} · {tDynamic(`role.${session.role}`)}
          {session.branchId === null ? '' : ` ${session.branchId}`} · {formatDateTimeZh(session.expiresAtMs)}{' '}
          前有效
        </p>
        <button type="button" onClick={() => void signOut()}>
          {t('nav.logout')}
        </button>
      </header>
      <nav className="menu" aria-label="主菜单">
        <ul>
          {pages.map((p) => (
            <li key={p}>
              <a href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>
                {t(pageTitles[p])}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <h1 className="page-title">{t(pageTitles[page])}</h1>
        {page === 'overview' ? <Overview data={overview} live={live} lastEvent={lastEvent} /> : null}
        {page === 'stations' && route.stationId === undefined ? (
          <Stations session={session} refreshKey={refreshKey} />
        ) : null}
        {page === 'stations' && route.stationId !== undefined ? (
          <StationDetail session={session} stationId={route.stationId} refreshKey={refreshKey} />
        ) : null}
        {page === 'network' && route.stationId === undefined ? (
          <Network session={session} refreshKey={refreshKey} />
        ) : null}
        {page === 'network' && route.stationId !== undefined ? (
          // Keyed by station: one station's last step or refusal never shows on another's page.
          <NetworkStation
            key={route.stationId}
            session={session}
            stationId={route.stationId}
            refreshKey={refreshKey}
          />
        ) : null}
        {page === 'inspections' ? (
          <Oversight session={session} refreshKey={refreshKey} mode="inspections" />
        ) : null}
        {page === 'followups' ? (
          <Oversight session={session} refreshKey={refreshKey} mode="followups" />
        ) : null}
        {page === 'repairs' ? <Repairs session={session} refreshKey={refreshKey} /> : null}
        {page === 'complaints' ? <Complaints session={session} refreshKey={refreshKey} /> : null}
        {page === 'commissions' ? <Commissions session={session} refreshKey={refreshKey} /> : null}
        {page === 'alerts' ? <Alerts session={session} refreshKey={refreshKey} /> : null}
        {page === 'quota' ? <Quota session={session} refreshKey={refreshKey} /> : null}
        {page === 'daily' ? <Daily session={session} refreshKey={refreshKey} /> : null}
        {page === 'audit' ? <Audit session={session} /> : null}
      </main>
    </div>
  );
}
