// 额度: record a quota purchase (R3, idempotent by the outlet's receipt reference: the same receipt
// again is reported, never booked twice) and the low-quota list (open low-quota alerts).
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { ApiError, api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { FieldError, ProblemSummary } from '../components/Problems.js';
import { fenToYuanText, formatDateTimeZh, formatFen, parseYuanToFen } from '../format.js';
import { t } from '../i18n/messages.js';
import { problemLine } from '../problem-text.js';
import { type QuotaField, quotaFieldOf, quotaFormProblems } from '../quota-form.js';
import type { AlertRow, QuotaOutcome } from '../types.js';

export function Quota(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [values, setValues] = useState({ station: '', amount: '', receipt: '' });
  const [problems, setProblems] = useState<Partial<Record<QuotaField, string>>>({});
  const [other, setOther] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [low, setLow] = useState<readonly AlertRow[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger: a live event re-reads
  useEffect(() => {
    api<{ items: AlertRow[] }>(session, 'GET', `/api/v1/alerts${query({ state: 'open', limit: 500 })}`).then(
      (answer) => setLow(answer.items.filter((a) => a.kind === 'HQ_ALERT_QUOTA_LOW')),
      () => setLow([]),
    );
  }, [session, refreshKey]);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setDone(null);
    setOther([]);
    const found = quotaFormProblems(values);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const amountFen = parseYuanToFen(values.amount);
      if (amountFen === null) throw new RangeError('quota: the amount was checked before sending');
      const outcome = await api<QuotaOutcome>(
        session,
        'POST',
        `/api/v1/stations/${encodeURIComponent(values.station.trim())}/quota-purchases`,
        { amountYuan: fenToYuanText(amountFen), receipt: values.receipt.trim() },
      );
      setDone(
        outcome.outcome === 'recorded'
          ? t('quota.recorded', {
              station: outcome.stationId,
              amount: formatFen(outcome.amountFen),
              receipt: outcome.purchaseId,
            })
          : t('quota.exists', { receipt: outcome.purchaseId }),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const byField: Partial<Record<QuotaField, string>> = {};
      const rest: string[] = [];
      for (const p of error.problems.length > 0
        ? error.problems
        : [{ code: error.code, message: error.message }]) {
        const field = quotaFieldOf('field' in p ? p.field : undefined);
        const line = problemLine(p);
        if (field === undefined) rest.push(line);
        else byField[field] = [byField[field], line].filter(Boolean).join(';');
      }
      setProblems(byField);
      setOther(rest);
    } finally {
      setBusy(false);
    }
  };
  const summary = [...Object.values(problems), ...other];
  const field = (name: QuotaField, label: string, hint?: string): ReactNode => (
    <div className={`field${problems[name] === undefined ? '' : ' invalid'}`}>
      <label htmlFor={`quota-${name}`}>{label}</label>
      <input
        id={`quota-${name}`}
        name={name}
        value={values[name]}
        inputMode={name === 'amount' ? 'decimal' : undefined}
        aria-invalid={problems[name] !== undefined}
        aria-describedby={`quota-${name}-error${hint === undefined ? '' : ` quota-${name}-hint`}`}
        onChange={(e) => setValues({ ...values, [name]: e.target.value })}
      />
      {hint === undefined ? null : (
        <p className="hint" id={`quota-${name}-hint`}>
          {hint}
        </p>
      )}
      <FieldError id={`quota-${name}-error`} message={problems[name]} />
    </div>
  );
  return (
    <>
      <form className="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="quota-title">
        <h2 id="quota-title">{t('quota.record')}</h2>
        <ProblemSummary problems={summary} />
        {field('station', t('quota.station'))}
        {field('amount', t('quota.amount'), t('quota.minimum'))}
        {field('receipt', t('quota.receipt'))}
        <button type="submit" disabled={busy}>
          {t('quota.submit')}
        </button>
        {done === null ? null : (
          <p className="success" role="status">
            {done}
          </p>
        )}
      </form>
      <DataTable<AlertRow>
        caption={t('quota.low')}
        columns={[
          { title: t('alerts.station'), text: (a) => a.stationId },
          { title: t('alerts.detail'), text: (a) => a.detail },
          { title: t('alerts.openedAt'), text: (a) => formatDateTimeZh(a.openedAtMs) },
        ]}
        rows={low}
        rowKey={(a) => String(a.alertId)}
        csvName="quota-low.csv"
      />
    </>
  );
}
