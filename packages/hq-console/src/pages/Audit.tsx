// 审计 (supervision): the newest audit rows (each read of the log is itself audited).
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { formatDateTimeZh } from '../format.js';
import { t } from '../i18n/messages.js';
import type { AuditRow } from '../types.js';

export function Audit(props: { readonly session: Session }): ReactNode {
  const [rows, setRows] = useState<readonly AuditRow[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: AuditRow[] }>(props.session, 'GET', `/api/v1/audit${query({ limit: 200 })}`).then(
      (answer) => setRows([...answer.items].reverse()),
      (error: Error) => setProblem(error.message),
    );
  }, [props.session]);
  return (
    <>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      <DataTable<AuditRow>
        caption={t('nav.audit')}
        columns={[
          { title: 'seq', text: (r) => r.seq, numeric: true },
          { title: t('audit.at'), text: (r) => formatDateTimeZh(r.atMs) },
          { title: t('audit.actor'), text: (r) => `${r.actor} (${r.role})` },
          { title: t('audit.action'), text: (r) => r.action },
          { title: t('audit.target'), text: (r) => r.target },
          { title: t('audit.outcome'), text: (r) => r.outcome },
        ]}
        rows={rows}
        rowKey={(r) => String(r.seq)}
        csvName="audit.csv"
      />
    </>
  );
}
