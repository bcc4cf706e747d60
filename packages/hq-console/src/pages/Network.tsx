// 网点发展: every open step of the network with its due date, overdue first (the gateway's due
// list, scoped to a branch user's own stations), the stations in their lifecycle (link to each
// one's page, where the next step is taken), and the proposal form (branch, market; R12: refused
// with every branch and station within 2 km and its distance, all at once).
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form, type FormValues, textOf } from '../components/Form.js';
import { departmentText, dueStatus, dueStatusText, dueStepText, sortDue } from '../due-text.js';
import { formatBusinessDateZh } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { locationBody, locationFields } from '../network-steps.js';
import { errorText } from '../problem-text.js';
import type { DueItem, NetStation } from '../types.js';

/** Stations listed on the page (the API's page; the network list is read whole for the CSV). */
const stationsMax = 10_000;

export function dateText(date: string | undefined): string {
  return date === undefined ? t('common.none') : formatBusinessDateZh(date);
}

export function DueTable(props: {
  readonly items: readonly DueItem[];
  readonly today: string;
  readonly caption: string;
  readonly csvName: string;
}): ReactNode {
  const { today } = props;
  return (
    <DataTable<DueItem>
      caption={props.caption}
      columns={[
        {
          title: t('net.due.subject'),
          text: (i) => i.subjectId,
          render: (i) =>
            i.aggregateId.startsWith('station:') ? (
              <a href={`#/network/${i.subjectId}`}>{i.subjectId}</a>
            ) : (
              i.subjectId
            ),
        },
        { title: t('net.due.step'), text: (i) => dueStepText(i.step) },
        {
          title: t('net.due.department'),
          text: (i) => `${departmentText(i.department)}${i.branchId === undefined ? '' : ` ${i.branchId}`}`,
        },
        { title: t('net.due.rule'), text: (i) => i.rule },
        { title: t('net.due.started'), text: (i) => dateText(i.startedDate) },
        { title: t('net.due.dueDate'), text: (i) => dateText(i.dueDate) },
        {
          title: t('net.due.status'),
          text: (i) => dueStatusText(i, today),
          render: (i) => (
            <span className={dueStatus(i, today) === 'pending' ? undefined : 'overdue'}>
              {dueStatusText(i, today)}
            </span>
          ),
        },
      ]}
      rows={sortDue(props.items, today)}
      rowKey={(i) => `${i.aggregateId}|${i.subjectId}|${i.step}`}
      csvName={props.csvName}
    />
  );
}

export function Network(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [due, setDue] = useState<{ date: string; due: DueItem[] } | null>(null);
  const [stations, setStations] = useState<readonly NetStation[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    api<{ date: string; due: DueItem[] }>(
      session,
      'GET',
      `/api/v1/network/overdue${query({ all: 'true' })}`,
    ).then(setDue, (error: unknown) => setProblem(errorText(error)));
    api<{ items: NetStation[] }>(
      session,
      'GET',
      `/api/v1/network/stations${query({ limit: stationsMax })}`,
    ).then(
      (answer) => setStations(answer.items),
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [session, refreshKey, reload]);
  const mayPropose = session.role === 'branch' || session.role === 'market';
  return (
    <>
      {problem === null ? null : (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      {mayPropose ? (
        <Form
          id="propose"
          title={t('net.propose')}
          submitLabel={t('common.submit')}
          fields={[
            { name: 'stationId', label: t('field.stationId'), kind: 'text', pattern: 'id' },
            {
              name: 'branchId',
              label: t('field.branchId'),
              kind: 'text',
              pattern: 'id',
              initial: session.branchId ?? '',
            },
            { name: 'name', label: t('field.name'), kind: 'text' },
            ...locationFields(),
          ]}
          send={async (values: FormValues) => {
            const stationId = textOf(values, 'stationId');
            await api(session, 'POST', '/api/v1/network/stations', {
              stationId,
              branchId: textOf(values, 'branchId'),
              name: textOf(values, 'name'),
              location: locationBody(values),
            });
            return t('net.proposed', { station: stationId });
          }}
          onDone={() => setReload((n) => n + 1)}
        />
      ) : null}
      <DueTable
        items={due?.due ?? []}
        today={due?.date ?? '9999-12-31'}
        caption={t('net.due')}
        csvName="network-due.csv"
      />
      <DataTable<NetStation>
        caption={t('net.stations')}
        columns={[
          {
            title: t('common.station'),
            text: (s) => s.stationId,
            render: (s) => <a href={`#/network/${encodeURIComponent(s.stationId)}`}>{s.stationId}</a>,
          },
          { title: t('common.name'), text: (s) => s.name },
          { title: t('common.branch'), text: (s) => s.branchId },
          { title: t('common.state'), text: (s) => tDynamic(`netState.${s.state}`) },
          { title: t('net.receipt'), text: (s) => s.application?.receiptNumber ?? '' },
          { title: t('field.orgCode'), text: (s) => s.orgCode ?? '' },
          { title: t('net.opened'), text: (s) => (s.openedDate === undefined ? '' : dateText(s.openedDate)) },
        ]}
        rows={stations}
        rowKey={(s) => s.stationId}
        csvName="network-stations.csv"
      />
    </>
  );
}
