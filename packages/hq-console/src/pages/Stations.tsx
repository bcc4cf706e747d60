// 网点: the station list, paged, filtered and searched on the server (10,000 stations); the CSV
// export reads every matching page.
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatDateTimeZh } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { errorText } from '../problem-text.js';
import { type StationList, type StationRow, stationStates } from '../types.js';

const pageSize = 50;
/** The API's largest page (limits.ts httpPageSizeMax); the CSV export reads in pages this size. */
const exportPageSize = 500;

export function Stations(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [search, setSearch] = useState('');
  const [state, setState] = useState('');
  const [branch, setBranch] = useState('');
  const [applied, setApplied] = useState({ search: '', state: '', branch: '' });
  const [offset, setOffset] = useState(0);
  const [list, setList] = useState<StationList | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    const path = `/api/v1/stations${query({ search: applied.search, state: applied.state, branch: applied.branch, limit: pageSize, offset })}`;
    api<StationList>(session, 'GET', path).then(
      (answer) => {
        setList(answer);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, applied, offset, refreshKey]);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setOffset(0);
    setApplied({ search: search.trim(), state, branch: branch.trim() });
  };
  const allRows = async (): Promise<StationRow[]> => {
    const rows: StationRow[] = [];
    for (let from = 0; ; from += exportPageSize) {
      const path = `/api/v1/stations${query({ search: applied.search, state: applied.state, branch: applied.branch, limit: exportPageSize, offset: from })}`;
      const page = await api<StationList>(session, 'GET', path);
      rows.push(...page.items);
      if (page.items.length < exportPageSize) return rows;
    }
  };
  return (
    <>
      <search>
        <form className="filters" onSubmit={submit}>
          <div className="field">
            <label htmlFor="station-search">{t('stations.search')}</label>
            <input
              id="station-search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              maxLength={64}
            />
          </div>
          <div className="field">
            <label htmlFor="station-state">{t('stations.state')}</label>
            <select id="station-state" value={state} onChange={(e) => setState(e.target.value)}>
              <option value="">{t('stations.all')}</option>
              {stationStates.map((s) => (
                <option key={s} value={s}>
                  {tDynamic(`state.${s}`)}
                </option>
              ))}
            </select>
          </div>
          {session.role === 'branch' ? null : (
            <div className="field">
              <label htmlFor="station-branch">{t('stations.branch')}</label>
              <input
                id="station-branch"
                value={branch}
                onChange={(e) => setBranch(e.target.value)}
                maxLength={32}
                pattern="[A-Za-z0-9_\-]{1,32}"
              />
            </div>
          )}
          <button type="submit">{t('stations.filter')}</button>
        </form>
      </search>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      <DataTable<StationRow>
        caption={t('nav.stations')}
        columns={[
          {
            title: t('stations.id'),
            text: (r) => r.stationId,
            render: (r) => <a href={`#/stations/${encodeURIComponent(r.stationId)}`}>{r.stationId}</a>,
          },
          { title: t('stations.orgCode'), text: (r) => r.orgCode },
          { title: t('stations.branch'), text: (r) => r.branchId ?? '' },
          {
            title: t('stations.state'),
            text: (r) => tDynamic(`state.${r.state}`),
            render: (r) => <span className={`state state-${r.state}`}>{tDynamic(`state.${r.state}`)}</span>,
          },
          { title: t('stations.lastSeen'), text: (r) => formatDateTimeZh(r.lastSeenMs) },
        ]}
        rows={list?.items ?? []}
        rowKey={(r) => r.stationId}
        csvName="stations.csv"
        csvRows={allRows}
        pager={{ offset, limit: pageSize, total: list?.total ?? 0, onOffset: setOffset }}
      />
    </>
  );
}
