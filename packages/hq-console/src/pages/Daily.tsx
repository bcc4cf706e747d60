// 日报与对账: a business day's revenue by station and business type (R7) with each station's
// reconciliation (R8 账账相符: kiosk close = HQ store) and every difference with its reason. The
// CSV is the server's own (the same file as `hq report daily --format csv`).
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { downloadText } from '../components/download.js';
import { beijingIsoDate, formatBusinessDateZh, formatFen } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { kindName } from '../kinds.js';
import { errorText } from '../problem-text.js';
import type { DailyReport } from '../types.js';

interface Line {
  readonly key: string;
  readonly stationId: string;
  readonly kind: string;
  readonly count: number;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly reconciliation: string;
}

export function Daily(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [date, setDate] = useState(beijingIsoDate(Date.now()));
  const [shown, setShown] = useState(date);
  const [report, setReport] = useState<DailyReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    api<DailyReport>(session, 'GET', `/api/v1/reports/daily${query({ date: shown })}`).then(
      (answer) => {
        setReport(answer);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, shown, refreshKey]);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setShown(date);
  };
  const serverCsv = async (): Promise<void> => {
    const response = await fetch(`/api/v1/reports/daily${query({ date: shown, format: 'csv' })}`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    downloadText(`daily-${shown}.csv`, await response.text());
  };
  const lines: Line[] = (report?.stations ?? []).flatMap((s) =>
    s.rows.map((r) => ({
      key: `${s.stationId}-${r.kind}`,
      stationId: s.stationId,
      kind: r.kind,
      count: r.count,
      amountFen: r.amountFen,
      feeFen: r.feeFen,
      reconciliation: s.reconciliation,
    })),
  );
  const differences = (report?.stations ?? []).flatMap((s) =>
    s.differences.map((d, index) => ({ key: `${s.stationId}-${index}`, stationId: s.stationId, ...d })),
  );
  return (
    <>
      <form className="filters" onSubmit={submit}>
        <div className="field">
          <label htmlFor="daily-date">{t('daily.date')}</label>
          <input
            id="daily-date"
            type="date"
            value={date}
            onChange={(e) => setDate(e.target.value)}
            required
          />
        </div>
        <button type="submit">{t('daily.show')}</button>
        <button type="button" onClick={() => void serverCsv()}>
          {t('table.export')}(Excel)
        </button>
      </form>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      <DataTable<Line>
        caption={`${t('nav.daily')} · ${formatBusinessDateZh(shown)}`}
        columns={[
          { title: t('alerts.station'), text: (l) => l.stationId },
          { title: t('kind.name'), text: (l) => kindName(l.kind) },
          { title: t('kind.count'), text: (l) => l.count, numeric: true },
          { title: t('kind.amount'), text: (l) => formatFen(l.amountFen), numeric: true },
          { title: t('kind.fee'), text: (l) => formatFen(l.feeFen), numeric: true },
          { title: t('daily.reconciliation'), text: (l) => tDynamic(`recon.${l.reconciliation}`) },
        ]}
        rows={lines}
        rowKey={(l) => l.key}
        csvName={`daily-view-${shown}.csv`}
      />
      <DataTable
        caption={t('station.discrepancies')}
        columns={[
          { title: t('alerts.station'), text: (d) => d.stationId },
          { title: 'code', text: (d) => d.code },
          { title: t('alerts.detail'), text: (d) => d.detail },
        ]}
        rows={differences}
        rowKey={(d) => d.key}
        csvName={`differences-${shown}.csv`}
      />
    </>
  );
}
