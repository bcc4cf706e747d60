// 告警: open, acknowledged, not yet closed, closed or all alerts (a branch office: its own stations), paged on the server;
// roles that may acknowledge get a button per open alert; market and supervision assign an alert
// to a user, and the acknowledging roles close it with a reason (issue 12: who, when, why kept).
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form, textOf } from '../components/Form.js';
import { formatDateTimeZh } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { mayAcknowledge, mayAssignAlerts, mayCloseAlerts } from '../navigation.js';
import { errorText } from '../problem-text.js';
import type { HandledAlert } from '../types.js';

const pageSize = 50;

/** The list's filter, as the API's ?state= takes it ('unclosed': open or acknowledged, not closed). */
export type AlertListState = 'open' | 'acknowledged' | 'unclosed' | 'closed' | 'all';

export function Alerts(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [state, setState] = useState<AlertListState>('open');
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState<readonly HandledAlert[]>([]);
  const [reload, setReload] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    api<{ items: HandledAlert[] }>(
      session,
      'GET',
      `/api/v1/alerts${query({ state, limit: pageSize + 1, offset })}`,
    ).then(
      (answer) => {
        setRows(answer.items);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, state, offset, refreshKey, reload]);
  const acknowledge = async (alertId: number): Promise<void> => {
    try {
      await api(session, 'POST', `/api/v1/alerts/${alertId}/ack`);
      setReload((n) => n + 1);
    } catch (error) {
      setProblem(errorText(error));
    }
  };
  const canAck = mayAcknowledge(session.role);
  const canAssign = mayAssignAlerts(session.role);
  const canClose = mayCloseAlerts(session.role);
  const shown = rows.slice(0, pageSize);
  const chosen = rows.find((a) => a.alertId === selected && a.closedAtMs === null);
  const done = (): void => setReload((n) => n + 1);
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
            <option value="unclosed">{t('alerts.unclosed')}</option>
            <option value="closed">{t('alerts.closedState')}</option>
            <option value="all">{t('alerts.all')}</option>
          </select>
        </div>
      </div>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      {chosen === undefined ? null : (
        <section className="two-columns" aria-label={t('alerts.handleTitle', { id: chosen.alertId })}>
          {canAssign ? (
            <Form
              key={`assign-${chosen.alertId}`}
              id="alert-assign"
              title={`${t('alerts.handleTitle', { id: chosen.alertId })}:${t('alerts.assign')}`}
              submitLabel={t('alerts.assign')}
              fields={[{ name: 'assignee', label: t('alerts.assignee'), kind: 'text' }]}
              send={async (values) => {
                const assignee = textOf(values, 'assignee');
                await api(session, 'POST', `/api/v1/alerts/${chosen.alertId}/assign`, { assignee });
                return t('alerts.assignedDone', { id: chosen.alertId, user: assignee });
              }}
              onDone={done}
            />
          ) : null}
          {canClose ? (
            <Form
              key={`close-${chosen.alertId}`}
              id="alert-close"
              title={`${t('alerts.handleTitle', { id: chosen.alertId })}:${t('alerts.close')}`}
              submitLabel={t('alerts.close')}
              fields={[{ name: 'reason', label: t('alerts.closeReason'), kind: 'textarea' }]}
              send={async (values) => {
                await api(session, 'POST', `/api/v1/alerts/${chosen.alertId}/close`, {
                  reason: textOf(values, 'reason'),
                });
                return t('alerts.closedDone', { id: chosen.alertId });
              }}
              onDone={done}
            />
          ) : null}
        </section>
      )}
      <DataTable<HandledAlert>
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
          { title: t('alerts.assignedTo'), text: (a) => a.assignedTo ?? '' },
          {
            title: t('alerts.closed'),
            text: (a) =>
              a.closedAtMs === null
                ? ''
                : `${a.closedBy ?? ''} ${formatDateTimeZh(a.closedAtMs)}:${a.closeReason ?? ''}`,
            render: (a) =>
              a.closedAtMs !== null ? (
                `${a.closedBy ?? ''} ${formatDateTimeZh(a.closedAtMs)}:${a.closeReason ?? ''}`
              ) : canAssign || canClose ? (
                <button
                  type="button"
                  onClick={() => setSelected(a.alertId)}
                  aria-label={`${t('alerts.handle')} ${a.alertId}`}
                >
                  {t('alerts.handle')}
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
