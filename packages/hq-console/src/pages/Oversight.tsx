// 巡检 and 回访 (R14, R18): per station in business, the quarter's on-site inspection and phone
// follow-up, the opening follow-up visit and the latest training, with the oversight steps due
// (overdue first); forms to record an on-site inspection or a phone follow-up (market,
// supervision: inspection-recorded) and the opening follow-up visit (ecommerce: follow-up-visited).
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form, type FormValues, textOf } from '../components/Form.js';
import { t } from '../i18n/messages.js';
import type { DueItem, NetStation } from '../types.js';
import { DueTable, dateText } from './Network.js';

type Mode = 'inspections' | 'followups';

/** The first day of the Beijing quarter of an ISO date: '2026-11-05' -> '2026-10-01'. */
export function quarterStart(date: string): string {
  const month = Number(date.slice(5, 7));
  const first = Math.floor((month - 1) / 3) * 3 + 1;
  return `${date.slice(0, 4)}-${String(first).padStart(2, '0')}-01`;
}

function lastOf(station: NetStation, method: 'on-site' | 'phone'): string | undefined {
  const dates = station.inspections.filter((i) => i.method === method).map((i) => i.date);
  return dates.sort().at(-1);
}

export function Oversight(props: {
  readonly session: Session;
  readonly refreshKey: number;
  readonly mode: Mode;
}): ReactNode {
  const { session, refreshKey, mode } = props;
  const [stations, setStations] = useState<readonly NetStation[]>([]);
  const [due, setDue] = useState<{ date: string; due: DueItem[] } | null>(null);
  const [reload, setReload] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    api<{ items: NetStation[] }>(session, 'GET', `/api/v1/network/stations${query({ limit: 10_000 })}`).then(
      (answer) => setStations(answer.items.filter((s) => s.state === 'open' || s.state === 'suspended')),
      () => setStations([]),
    );
    api<{ date: string; due: DueItem[] }>(
      session,
      'GET',
      `/api/v1/network/overdue${query({ all: 'true' })}`,
    ).then(setDue, () => setDue(null));
  }, [session, refreshKey, reload]);
  const today = due?.date ?? '9999-12-31';
  const since = quarterStart(today);
  const method = mode === 'inspections' ? 'on-site' : 'phone';
  const inQuarter = (s: NetStation): string | undefined =>
    s.inspections
      .filter((i) => i.method === method && i.date >= since)
      .map((i) => i.date)
      .sort()
      .at(-1);
  const ownSteps = (due?.due ?? []).filter((i) =>
    mode === 'inspections'
      ? /on-site inspection/.test(i.step)
      : /phone follow-up|follow-up after the training|opening-follow-up-visit/.test(i.step),
  );
  const mayRecord = session.role === 'market' || session.role === 'supervision';
  const mayVisit = mode === 'followups' && session.role === 'ecommerce';
  const stationOptions = stations.map((s) => ({ value: s.stationId, label: `${s.stationId} ${s.name}` }));
  const record = async (values: FormValues): Promise<string> => {
    const stationId = textOf(values, 'stationId');
    await api(
      session,
      'POST',
      `/api/v1/network/stations/${encodeURIComponent(stationId)}/steps/inspection-recorded`,
      {
        method,
        findings: textOf(values, 'findings'),
      },
    );
    return t('common.done', { what: `${stationId} ${t(`field.method.${method}`)}` });
  };
  const visit = async (values: FormValues): Promise<string> => {
    const stationId = textOf(values, 'stationId');
    const notes = textOf(values, 'notes');
    await api(
      session,
      'POST',
      `/api/v1/network/stations/${encodeURIComponent(stationId)}/steps/follow-up-visited`,
      {
        ...(notes === '' ? {} : { notes }),
      },
    );
    return t('common.done', { what: `${stationId} ${t('step.follow-up-visited')}` });
  };
  const stationField = {
    name: 'stationId',
    label: t('field.stationId'),
    kind: 'select' as const,
    options: [{ value: '', label: t('common.select') }, ...stationOptions],
  };
  return (
    <>
      {mayRecord && stationOptions.length > 0 ? (
        <Form
          key={`record-${stationOptions.length}`}
          id={`record-${mode}`}
          title={mode === 'inspections' ? t('insp.record') : t('follow.phone')}
          submitLabel={t('common.submit')}
          fields={[stationField, { name: 'findings', label: t('field.findings'), kind: 'textarea' }]}
          send={record}
          onDone={() => setReload((n) => n + 1)}
        />
      ) : null}
      {mayVisit && stationOptions.length > 0 ? (
        <Form
          key={`visit-${stationOptions.length}`}
          id="opening-visit"
          title={t('follow.visit')}
          submitLabel={t('common.submit')}
          fields={[
            stationField,
            { name: 'notes', label: t('field.notes'), kind: 'textarea', required: false },
          ]}
          send={visit}
          onDone={() => setReload((n) => n + 1)}
        />
      ) : null}
      <DueTable items={ownSteps} today={today} caption={t('net.due')} csvName={`${mode}-due.csv`} />
      <DataTable<NetStation>
        caption={mode === 'inspections' ? t('insp.title') : t('follow.title')}
        columns={[
          { title: t('common.station'), text: (s) => s.stationId },
          { title: t('common.name'), text: (s) => s.name },
          { title: t('common.branch'), text: (s) => s.branchId },
          {
            title: mode === 'inspections' ? t('insp.quarter') : t('follow.quarter'),
            text: (s) => {
              const date = inQuarter(s);
              return date === undefined ? t('insp.notDone') : dateText(date);
            },
          },
          ...(mode === 'inspections'
            ? [{ title: t('insp.last'), text: (s: NetStation) => dateText(lastOf(s, 'on-site')) }]
            : [
                { title: t('net.opened'), text: (s: NetStation) => dateText(s.openedDate) },
                { title: t('follow.openingVisit'), text: (s: NetStation) => dateText(s.followUpDate) },
                {
                  title: t('follow.lastTraining'),
                  text: (s: NetStation) => dateText(s.trainingDates.at(-1)),
                },
              ]),
        ]}
        rows={stations}
        rowKey={(s) => s.stationId}
        csvName={`${mode}.csv`}
      />
    </>
  );
}
