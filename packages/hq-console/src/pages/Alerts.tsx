// 告警: open, acknowledged or all alerts (a branch office: its own stations), paged on the server;
// roles that may acknowledge get a button per open alert.
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatDateTimeZh } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { mayAcknowledge } from '../navigation.js';
import type { AlertRow } from '../types.js';

const pageSize = 50;

export function Alerts(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [state, setState] = useState<'open' | 'acknowledged' | 'all'>('open');
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState<readonly AlertRow[]>([]);
  const [reload, setReload] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    api<{ items: AlertRow[] }>(
      session,
      'GET',
      `/api/v1/alerts${query({ state, limit: pageSize + 1, offset })}`,
    ).then(
      (answer) => {
        setRows(answer.items);
        setProblem(null);
      },
      (error: Error) => setProblem(error.message),
    );
  }, [session, state, offset, refreshKey, reload]);
  const acknowledge = async (alertId: number): Promise<void> => {
    try {
      await api(session, 'POST', `/api/v1/alerts/${alertId}/ack`);
      setReload((n) => n + 1);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  const canAck = mayAcknowledge(session.role);
  const shown = rows.slice(0, pageSize);
  return (
    <>
      <div className="filters">
        <div className="field">
          <label htmlFor="alert-state">{t('stations.state')}</label>
          <select
            id="alert-state"
            value={state}
            onChange={(e) => {
              setOffset(0);
              setState(e.target.value as typeof state);
            }}
          >
            <option value="open">{t('alerts.open')}</option>
            <option value="acknowledged">{t('alerts.acknowledged')}</option>
            <option value="all">{t('alerts.all')}</option>
          </select>
        </div>
      </div>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      <DataTable<AlertRow>
        caption={t('nav.alerts')}
        columns={[
          { title: t('alerts.kind'), text: (a) => tDynamic(`alert.${a.kind}`) },
          { title: t('alerts.station'), text: (a) => a.stationId },
          { title: t('alerts.detail'), text: (a) => a.detail },
          { title: t('alerts.openedAt'), text: (a) => formatDateTimeZh(a.openedAtMs) },
          {
            title: t('alerts.ackedBy'),
            text: (a) => (a.ackedBy === null ? '' : `${a.ackedBy} ${formatDateTimeZh(a.ackedAtMs ?? 0)}`),
            render: (a) =>
              a.ackedBy !== null ? (
                `${a.ackedBy} ${formatDateTimeZh(a.ackedAtMs ?? 0)}`
              ) : canAck ? (
                <button
                  type="button"
                  onClick={() => void acknowledge(a.alertId)}
                  aria-label={`${t('alerts.ack')} ${a.alertId}`}
                >
                  {t('alerts.ack')}
                </button>
              ) : (
                ''
              ),
          },
        ]}
        rows={shown}
        rowKey={(a) => String(a.alertId)}
        csvName={`alerts-${state}.csv`}
        pager={{
          offset,
          limit: pageSize,
          // The API does not count alerts: one row more than a page says there is a next page.
          total: offset + rows.length,
          onOffset: setOffset,
        }}
      />
    </>
  );
}
