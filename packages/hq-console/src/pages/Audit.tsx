// 审计 (supervision): the audit log newest first, paged on the server (order=desc, offset; one row
// more than a page says there is a next one), filtered by actor, kind of action and Beijing dates
// (each read of the log is itself audited).
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatDateTimeZh } from '../format.js';
import { t } from '../i18n/messages.js';
import { errorText } from '../problem-text.js';
import type { AuditRow } from '../types.js';

const pageSize = 50;
/** The API's largest page (hq-gateway limits.ts auditRowsMax): the CSV reads the filter in pages. */
const exportPageSize = 1_000;
/** The actions the filter offers (the gateway's audit actions; any other can be typed). */
const knownActions = [
  'session.login',
  'alert.acknowledge',
  'alert.assign',
  'alert.close',
  'audit.read',
  'complaint.read',
  'network.proposed',
  'network.opened',
  'network.complaint-answered',
  'network.commission-paid',
  'quota.purchase',
];

interface Filter {
  readonly actor: string;
  readonly action: string;
  readonly fromDate: string;
  readonly toDate: string;
}

export function Audit(props: { readonly session: Session }): ReactNode {
  const { session } = props;
  const [draft, setDraft] = useState<Filter>({ actor: '', action: '', fromDate: '', toDate: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState<readonly AuditRow[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const pathOf = (limit: number, from: number): string =>
    `/api/v1/audit${query({ ...filter, order: 'desc', limit, offset: from })}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: pathOf reads filter and offset
  useEffect(() => {
    api<{ items: AuditRow[] }>(session, 'GET', pathOf(pageSize + 1, offset)).then(
      (answer) => {
        setRows(answer.items);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, filter, offset]);
  const allRows = async (): Promise<AuditRow[]> => {
    const out: AuditRow[] = [];
    for (let from = 0; ; from += exportPageSize) {
      const page = await api<{ items: AuditRow[] }>(session, 'GET', pathOf(exportPageSize, from));
      out.push(...page.items);
      if (page.items.length < exportPageSize) return out;
    }
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setOffset(0);
    setFilter({ ...draft, actor: draft.actor.trim(), action: draft.action.trim() });
  };
  const input = (name: keyof Filter, label: string, type: 'text' | 'date', list?: string): ReactNode => (
    <div className="field">
      <label htmlFor={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        type={type}
        value={draft[name]}
        maxLength={64}
        {...(list === undefined ? {} : { list })}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
      />
    </div>
  );
  return (
    <>
      <search>
        <form className="filters" onSubmit={submit}>
          {input('actor', t('audit.actor'), 'text')}
          {input('action', t('audit.kind'), 'text', 'audit-actions')}
          <datalist id="audit-actions">
            {knownActions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          {input('fromDate', t('audit.from'), 'date')}
          {input('toDate', t('audit.to'), 'date')}
          <button type="submit">{t('audit.filter')}</button>
        </form>
      </search>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      <DataTable<AuditRow>
        caption={t('audit.newestFirst')}
        columns={[
          { title: 'seq', text: (r) => r.seq, numeric: true },
          { title: t('audit.at'), text: (r) => formatDateTimeZh(r.atMs) },
          { title: t('audit.actor'), text: (r) => `${r.actor} (${r.role})` },
          { title: t('audit.action'), text: (r) => r.action },
          { title: t('audit.target'), text: (r) => r.target },
          { title: t('audit.outcome'), text: (r) => r.outcome },
        ]}
        rows={rows.slice(0, pageSize)}
        rowKey={(r) => String(r.seq)}
        csvName="audit.csv"
        csvRows={allRows}
        pager={{
          offset,
          limit: pageSize,
          // The API does not count audit rows: one row more than a page says there is a next page.
          total: offset + rows.length,
          onOffset: setOffset,
        }}
      />
    </>
  );
}
