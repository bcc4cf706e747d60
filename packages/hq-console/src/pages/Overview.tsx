// 总览: stations by state (online, offline, silent, faulty, ...), today's volumes and fees by
// business type, open alerts and a grid of stations per branch office; re-read whenever the live
// stream says a station went on- or offline or transactions arrived.
import { type ReactNode, useMemo } from 'react';
import { Chart, type ChartOption } from '../components/Chart.js';
import { DataTable } from '../components/DataTable.js';
import { fenToYuanText, formatBusinessDateZh, formatCount, formatDateTimeZh, formatFen } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { kindName } from '../kinds.js';
import { type KindTotal, type Overview as OverviewData, stationStates } from '../types.js';

export function Overview(props: {
  readonly data: OverviewData | null;
  readonly live: boolean;
  readonly lastEvent: string | null;
}): ReactNode {
  const { data, live, lastEvent } = props;
  const chart = useMemo<ChartOption | null>(
    () =>
      data === null
        ? null
        : {
            tooltip: {},
            grid: { left: 60, right: 16, top: 24, bottom: 32 },
            xAxis: { type: 'category', data: data.today.map((k) => kindName(k.kind)) },
            yAxis: { type: 'value', name: '元' },
            series: [
              {
                type: 'bar',
                name: t('kind.amount'),
                data: data.today.map((k) => Number(fenToYuanText(k.amountFen))),
              },
            ],
          },
    [data],
  );
  if (data === null) return <p>…</p>;
  const tiles: Array<{ id: string; label: string; value: number }> = [
    ...stationStates.map((s) => ({ id: s, label: tDynamic(`state.${s}`), value: data.byState[s] })),
    { id: 'silent', label: t('overview.silent'), value: data.silent },
    { id: 'faulty', label: t('overview.faulty'), value: data.faulty },
    { id: 'alerts', label: t('overview.openAlerts'), value: data.openAlertCount },
  ];
  return (
    <>
      <p className="live-state" aria-live="polite" data-live={live ? 'on' : 'off'}>
        <span className={live ? 'dot on' : 'dot off'} aria-hidden="true" />
        {live ? t('overview.live') : t('overview.liveLost')} · {formatBusinessDateZh(data.businessDate)}{' '}
        {formatDateTimeZh(data.nowMs).split(' ')[1]}
        {lastEvent === null ? null : (
          <span className="last-event">
            {' '}
            · {t('overview.lastEvent')}: <span data-testid="last-event">{lastEvent}</span>
          </span>
        )}
      </p>
      <section aria-labelledby="tiles-title">
        <h2 id="tiles-title">{t('overview.stations')}</h2>
        <ul className="tiles">
          {tiles.map((tile) => (
            <li key={tile.id} className={`tile tile-${tile.id}`} data-testid={`tile-${tile.id}`}>
              <span className="tile-label">{tile.label}</span>
              <span className="tile-value">{formatCount(tile.value)}</span>
            </li>
          ))}
        </ul>
      </section>
      <div className="two-columns">
        <DataTable<KindTotal>
          caption={t('overview.today')}
          columns={[
            { title: t('kind.name'), text: (k) => kindName(k.kind) },
            { title: t('kind.count'), text: (k) => k.count, numeric: true },
            { title: t('kind.amount'), text: (k) => formatFen(k.amountFen), numeric: true },
            { title: t('kind.fee'), text: (k) => formatFen(k.feeFen), numeric: true },
          ]}
          rows={data.today}
          rowKey={(k) => k.kind}
          csvName={`today-${data.businessDate}.csv`}
        />
        {chart === null || data.today.length === 0 ? null : (
          <Chart
            option={chart}
            label={data.today.map((k) => `${kindName(k.kind)} ${formatFen(k.amountFen)}`).join(',')}
          />
        )}
      </div>
      <DataTable
        caption={t('overview.byRegion')}
        columns={[
          { title: t('stations.branch'), text: (r) => r.branchId ?? t('overview.noBranch') },
          { title: tDynamic('state.online'), text: (r) => r.byState.online, numeric: true },
          { title: tDynamic('state.offline'), text: (r) => r.byState.offline, numeric: true },
          {
            title: tDynamic('state.suspended'),
            text: (r) => r.byState.suspended + r.byState.revoked,
            numeric: true,
          },
          { title: tDynamic('state.never_seen'), text: (r) => r.byState.never_seen, numeric: true },
          { title: '合计', text: (r) => r.total, numeric: true },
        ]}
        rows={data.regions}
        rowKey={(r) => r.branchId ?? '-'}
        csvName={`regions-${data.businessDate}.csv`}
      />
      <DataTable
        caption={t('overview.openAlerts')}
        columns={[
          { title: t('alerts.kind'), text: (a) => tDynamic(`alert.${a.kind}`) },
          { title: t('alerts.station'), text: (a) => a.stationId },
          { title: t('alerts.detail'), text: (a) => a.detail },
          { title: t('alerts.openedAt'), text: (a) => formatDateTimeZh(a.openedAtMs) },
        ]}
        rows={data.openAlerts}
        rowKey={(a) => String(a.alertId)}
        csvName="open-alerts.csv"
      />
    </>
  );
}
