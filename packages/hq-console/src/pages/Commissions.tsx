// 佣金 (R10/R11): a month's commission run from draft to paid. The e-commerce centre runs (or
// re-runs: a changed figure is recorded as correction lines, never an edit) and lists it to
// finance (before the 15th) and records each station's invoice; finance pays (before the 20th,
// against the invoice for R10 lines). Amounts arrive in fen and are shown in yuan.
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { ApiError, api, type Problem, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatFen } from '../format.js';
import { t } from '../i18n/messages.js';
import { kindName } from '../kinds.js';
import { problemLine } from '../problem-text.js';
import type { CommissionLine, CommissionPayable, CommissionRun } from '../types.js';
import { dateText } from './Network.js';

/** The month before the Beijing date's month: R10 computes early each month for the last one. */
export function previousMonth(isoDate: string): string {
  const year = Number(isoDate.slice(0, 4));
  const month = Number(isoDate.slice(5, 7));
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

function itemText(item: string): string {
  return item === 'TAX' ? t('commission.item.TAX') : kindName(item);
}

export function Commissions(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [month, setMonth] = useState('');
  const [shown, setShown] = useState('');
  const [run, setRun] = useState<CommissionRun | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  // R11: a run goes ahead without a branch's statistics; what is missing is said, not hidden.
  const [warnings, setWarnings] = useState<string[]>([]);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    api<{ date: string }>(session, 'GET', '/api/v1/network/overdue').then(
      (answer) => {
        const last = previousMonth(answer.date);
        setMonth((m) => (m === '' ? last : m));
        setShown((m) => (m === '' ? last : m));
      },
      () => {},
    );
  }, [session]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    if (shown === '') return;
    api<CommissionRun>(session, 'GET', `/api/v1/network/commissions/${shown}`).then(
      (answer) => setRun(answer),
      () => setRun(null),
    );
  }, [session, shown, refreshKey, reload]);
  const act = async (what: () => Promise<string>): Promise<void> => {
    setStatus(null);
    setProblems([]);
    setWarnings([]);
    try {
      setStatus(await what());
      setReload((n) => n + 1);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      setProblems(
        (error.problems.length > 0 ? error.problems : [{ code: error.code, message: error.message }]).map(
          problemLine,
        ),
      );
    }
  };
  const post = <T,>(path: string, body?: unknown): Promise<T> =>
    api<T>(session, 'POST', `/api/v1/network/commissions/${shown}/${path}`, body);
  const runMonth = (): Promise<void> =>
    act(async () => {
      const answer = await post<{
        outcome: 'recorded' | 'corrected' | 'unchanged';
        warnings: Problem[];
      }>('run');
      setWarnings(answer.warnings.map(problemLine));
      return t(`commission.outcome.${answer.outcome}`, { month: shown });
    });
  const isEcommerce = session.role === 'ecommerce';
  const isFinance = session.role === 'finance';
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) setShown(month);
  };
  const outstanding = (s: CommissionPayable): number => s.netFen - s.paidFen;
  const stationActions = (s: CommissionPayable): ReactNode => {
    if (run?.state !== 'listed') return '';
    if (outstanding(s) <= 0) return t('commission.settled');
    if (isEcommerce && !s.invoiced)
      return (
        <button
          type="button"
          aria-label={`${t('commission.receiveInvoice')} ${s.stationId}`}
          onClick={() =>
            void act(async () => {
              await post('invoices', { stationId: s.stationId, paidThrough: s.paidThrough });
              return t('common.done', { what: `${s.stationId} ${t('commission.receiveInvoice')}` });
            })
          }
        >
          {t('commission.receiveInvoice')}
        </button>
      );
    if (isFinance && (s.invoiced || s.paidThrough === 'BRANCH'))
      return (
        <button
          type="button"
          aria-label={`${t('commission.pay')} ${s.stationId}`}
          onClick={() =>
            void act(async () => {
              await post('payments', { stationId: s.stationId, paidThrough: s.paidThrough });
              return t('common.done', {
                what: `${s.stationId} ${t('commission.pay')} ${formatFen(outstanding(s))}`,
              });
            })
          }
        >
          {t('commission.pay')}
        </button>
      );
    return '';
  };
  return (
    <>
      <p className="hint">{t('commission.title')}</p>
      <form className="filters" onSubmit={submit}>
        <div className="field">
          <label htmlFor="commission-month">{t('commission.month')}</label>
          <input
            id="commission-month"
            type="month"
            value={month}
            onChange={(e) => setMonth(e.target.value)}
          />
        </div>
        <button type="submit">{t('commission.show')}</button>
        {isEcommerce && shown !== '' ? (
          <button type="button" onClick={() => void runMonth()}>
            {t('commission.run')}
          </button>
        ) : null}
        {isEcommerce && run?.state === 'draft' ? (
          <button
            type="button"
            onClick={() =>
              void act(async () => {
                await post('listed', {});
                return t('common.done', { what: `${shown} ${t('commission.list')}` });
              })
            }
          >
            {t('commission.list')}
          </button>
        ) : null}
      </form>
      {status === null ? null : (
        <p className="success" role="status">
          {status}
        </p>
      )}
      {warnings.length === 0 ? null : (
        <div className="warnings" role="note" data-testid="commission-warnings">
          <p>{t('commission.warnings')}</p>
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {problems.length === 0 ? null : (
        <div className="problems" role="alert">
          <p>{t('form.problems')}</p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <dl className="facts">
        <dt>{t('commission.month')}</dt>
        <dd>{shown}</dd>
        <dt>{t('commission.state')}</dt>
        <dd data-testid="commission-state">
          {run === null
            ? t('commission.state.none')
            : t(run.state === 'draft' ? 'commission.state.draft' : 'commission.state.listed')}
        </dd>
        <dt>{t('commission.listDue')}</dt>
        <dd>{run === null ? t('common.none') : dateText(run.listDueDate)}</dd>
        <dt>{t('commission.payDue')}</dt>
        <dd>{run === null ? t('common.none') : dateText(run.paymentDueDate)}</dd>
        <dt>{t('commission.corrections')}</dt>
        <dd>{run?.corrections ?? 0}</dd>
      </dl>
      <DataTable<CommissionPayable>
        caption={t('commission.stations')}
        columns={[
          { title: t('common.station'), text: (s) => s.stationId },
          {
            title: t('commission.payer'),
            text: (s) => t(s.paidThrough === 'HQ' ? 'commission.payer.HQ' : 'commission.payer.BRANCH'),
          },
          { title: t('commission.net'), text: (s) => formatFen(s.netFen), numeric: true },
          { title: t('commission.paid'), text: (s) => formatFen(s.paidFen), numeric: true },
          {
            title: t('commission.invoice'),
            text: (s) => (s.invoiced ? t('commission.invoiced') : t('commission.notInvoiced')),
          },
          {
            title: t('alerts.handle'),
            text: (s) => (outstanding(s) <= 0 ? t('commission.settled') : ''),
            render: stationActions,
          },
        ]}
        rows={run?.stations ?? []}
        rowKey={(s) => `${s.stationId}|${s.paidThrough}`}
        csvName={`commission-stations-${shown}.csv`}
      />
      <DataTable<CommissionLine & { readonly index: number }>
        caption={t('commission.lines')}
        columns={[
          { title: t('common.station'), text: (l) => l.stationId },
          {
            title: t('commission.payer'),
            text: (l) => t(l.paidThrough === 'HQ' ? 'commission.payer.HQ' : 'commission.payer.BRANCH'),
          },
          { title: t('commission.item'), text: (l) => itemText(l.item) },
          { title: t('commission.revenue'), text: (l) => formatFen(l.revenueFen), numeric: true },
          { title: t('commission.amount'), text: (l) => formatFen(l.amountFen), numeric: true },
        ]}
        rows={(run?.lines ?? []).map((line, index) => ({ ...line, index }))}
        rowKey={(l) => String(l.index)}
        csvName={`commission-lines-${shown}.csv`}
      />
    </>
  );
}
