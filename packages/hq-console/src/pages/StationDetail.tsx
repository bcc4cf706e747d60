// A station's page: status and peripherals, config version, quota balance and purchases, last
// events and discrepancies.
import { type ReactNode, useEffect, useState } from 'react';
import { api, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatDateTimeZh, formatFen } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { kindName } from '../kinds.js';
import { errorText } from '../problem-text.js';
import type { StationPage } from '../types.js';

export function StationDetail(props: {
  readonly session: Session;
  readonly stationId: string;
  readonly refreshKey: number;
}): ReactNode {
  const { session, stationId, refreshKey } = props;
  const [page, setPage] = useState<StationPage | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    api<StationPage>(session, 'GET', `/api/v1/stations/${encodeURIComponent(stationId)}`).then(
      (answer) => {
        setPage(answer);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, stationId, refreshKey]);
  if (problem !== null)
    return (
      <p className="problems" role="alert">
        {problem}
      </p>
    );
  if (page === null) return <p>…</p>;
  return (
    <>
      <p>
        <a href="#/stations">{t('station.back')}</a>
      </p>
      <h2>
        {page.stationId} · {page.orgCode}
      </h2>
      <dl className="facts">
        <dt>{t('station.status')}</dt>
        <dd data-testid="station-state">
          <span className={`state state-${page.state}`}>{tDynamic(`state.${page.state}`)}</span>
        </dd>
        <dt>{t('stations.branch')}</dt>
        <dd>{page.branchId ?? ''}</dd>
        <dt>{t('stations.lastSeen')}</dt>
        <dd>{formatDateTimeZh(page.status.lastSeenMs)}</dd>
        <dt>{t('station.config')}</dt>
        <dd>{page.configVersion}</dd>
        <dt>{t('station.quota')}</dt>
        <dd data-testid="station-quota">{formatFen(page.quotaFen)}</dd>
        <dt>{t('station.outbox')}</dt>
        <dd>{page.status.outboxDepth}</dd>
        <dt>{t('station.peripherals')}</dt>
        <dd>
          {page.status.peripherals.length === 0
            ? '—'
            : page.status.peripherals
                .map((p) => `${p.name} ${p.ok ? t('station.ok') : t('station.fault')}`)
                .join(',')}
        </dd>
        <dt>{t('station.enrolledAt')}</dt>
        <dd>{formatDateTimeZh(page.enrolledAtMs)}</dd>
      </dl>
      <DataTable
        caption={t('station.purchases')}
        columns={[
          { title: t('quota.receipt'), text: (p) => p.purchaseId },
          { title: t('kind.amount'), text: (p) => formatFen(p.amountFen), numeric: true },
          { title: t('quota.balance'), text: (p) => formatFen(p.quotaFenAfter), numeric: true },
          { title: t('alerts.openedAt'), text: (p) => formatDateTimeZh(p.recordedAtMs) },
        ]}
        rows={page.quotaPurchases}
        rowKey={(p) => p.purchaseId}
        csvName={`${page.stationId}-purchases.csv`}
      />
      <DataTable
        caption={t('station.events')}
        columns={[
          { title: 'seq', text: (e) => e.seq, numeric: true },
          { title: t('kind.name'), text: (e) => kindName(e.kind) },
          {
            title: t('kind.amount'),
            text: (e) => (e.amountFen === null ? '' : formatFen(e.amountFen)),
            numeric: true,
          },
          {
            title: t('kind.fee'),
            text: (e) => (e.feeFen === null ? '' : formatFen(e.feeFen)),
            numeric: true,
          },
          { title: t('alerts.openedAt'), text: (e) => formatDateTimeZh(e.createdAtMs) },
        ]}
        rows={page.lastEvents}
        rowKey={(e) => e.eventId}
        csvName={`${page.stationId}-events.csv`}
      />
      <DataTable
        caption={t('station.discrepancies')}
        columns={[
          { title: 'code', text: (d) => d.code },
          { title: t('alerts.detail'), text: (d) => d.detail },
          { title: t('alerts.openedAt'), text: (d) => formatDateTimeZh(d.foundAtMs) },
        ]}
        rows={page.discrepancies}
        rowKey={(d) => `${d.eventId}-${d.code}`}
        csvName={`${page.stationId}-discrepancies.csv`}
      />
    </>
  );
}
