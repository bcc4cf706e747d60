// One station of the network (#/network/S1): its lifecycle state, R4 may-transact, its open steps
// with their due dates, every record of its timeline (who, when, why), and a form for each step
// the person's department may take from the state it is in now (network-steps.ts).
import { type ReactNode, useEffect, useState } from 'react';
import { type ApiError, api, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form } from '../components/Form.js';
import { formatDateTimeZh } from '../format.js';
import { t, tDynamic } from '../i18n/messages.js';
import { reasonField, stepBody, stepsFor } from '../network-steps.js';
import { errorText, recordedRefusalLines } from '../problem-text.js';
import type { NetStationPage, OperationRecord } from '../types.js';
import { DueTable, dateText } from './Network.js';

export function NetworkStation(props: {
  readonly session: Session;
  readonly stationId: string;
  readonly refreshKey: number;
}): ReactNode {
  const { session, stationId, refreshKey } = props;
  const [page, setPage] = useState<NetStationPage | null>(null);
  const [today, setToday] = useState('9999-12-31');
  const [problem, setProblem] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [lastDone, setLastDone] = useState<string | null>(null);
  // A failed survey is refused and recorded all the same (the station is rejected, R22): the page
  // reads the station again, and its step form goes with the old state, so the refusal is kept here.
  const [lastRefused, setLastRefused] = useState<readonly string[]>([]);
  const refused = (error: ApiError): void => {
    const lines = recordedRefusalLines(error.problems);
    if (lines === undefined) return;
    setLastDone(null);
    setLastRefused(lines);
    setReload((n) => n + 1);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    const path = `/api/v1/network/stations/${encodeURIComponent(stationId)}`;
    api<NetStationPage>(session, 'GET', path).then(
      (answer) => {
        setPage(answer);
        setProblem(null);
      },
      (error: unknown) => setProblem(errorText(error)),
    );
    api<{ date: string }>(session, 'GET', '/api/v1/network/overdue').then(
      (answer) => setToday(answer.date),
      () => {},
    );
  }, [session, stationId, refreshKey, reload]);
  if (problem !== null)
    return (
      <p className="problems" role="alert">
        {problem}
      </p>
    );
  if (page === null) return <p>…</p>;
  const { station } = page;
  const steps = stepsFor(session.role, station.state);
  return (
    <>
      <p>
        <a href="#/network">{t('net.back')}</a>
      </p>
      <h2 data-testid="net-station-title">
        {station.stationId} {station.name}
      </h2>
      <dl className="facts">
        <dt>{t('common.state')}</dt>
        <dd data-testid="net-state">{tDynamic(`netState.${station.state}`)}</dd>
        <dt>{t('common.branch')}</dt>
        <dd>{station.branchId}</dd>
        <dt>{t('net.mayTransact')}</dt>
        <dd data-testid="net-may-transact">{page.mayTransact ? t('common.yes') : t('common.no')}</dd>
        <dt>{t('field.orgCode')}</dt>
        <dd>{station.orgCode ?? t('common.none')}</dd>
        <dt>{t('net.receipt')}</dt>
        <dd>{station.application?.receiptNumber ?? t('common.none')}</dd>
        <dt>{t('net.opened')}</dt>
        <dd>{dateText(station.openedDate)}</dd>
      </dl>
      <section aria-labelledby="next-steps">
        <h2 id="next-steps">{t('net.nextSteps')}</h2>
        {lastDone === null ? null : (
          <p className="success" role="status" data-testid="net-last-done">
            {lastDone}
          </p>
        )}
        {lastRefused.length === 0 ? null : (
          <div className="problems" role="alert" data-testid="net-last-refused">
            <p>{t('form.problems')}</p>
            <ul>
              {lastRefused.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </div>
        )}
        {steps.length === 0 ? <p>{t('net.noStep')}</p> : null}
        {steps.map((spec) => (
          <Form
            // A new version re-creates the forms: the next step starts empty.
            key={`${spec.kind}-${station.version}`}
            id={`step-${spec.kind}`}
            title={tDynamic(`step.${spec.kind}`)}
            submitLabel={tDynamic(`step.${spec.kind}`)}
            fields={[...spec.fields(), reasonField()]}
            send={async (values) => {
              await api(
                session,
                'POST',
                `/api/v1/network/stations/${encodeURIComponent(station.stationId)}/steps/${spec.kind}`,
                stepBody(spec, values),
              );
              const done = t('common.done', { what: tDynamic(`step.${spec.kind}`) });
              setLastRefused([]);
              setLastDone(done);
              return done;
            }}
            onDone={() => setReload((n) => n + 1)}
            onRefused={refused}
          />
        ))}
      </section>
      <DueTable
        items={page.due}
        today={today}
        caption={t('net.stationDue')}
        csvName={`due-${station.stationId}.csv`}
      />
      <DataTable<OperationRecord>
        caption={t('net.timeline')}
        columns={[
          { title: t('net.timeline.version'), text: (r) => r.version, numeric: true },
          { title: t('net.timeline.step'), text: (r) => tDynamic(`step.${r.kind}`) },
          { title: t('net.timeline.actor'), text: (r) => r.actor },
          { title: t('net.timeline.at'), text: (r) => formatDateTimeZh(r.atMs) },
          { title: t('common.reason'), text: (r) => r.reason },
        ]}
        rows={[...page.timeline].reverse()}
        rowKey={(r) => String(r.version)}
        csvName={`timeline-${station.stationId}.csv`}
      />
    </>
  );
}
