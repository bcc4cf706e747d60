// 投诉 (R23): complaints taken orally, by phone or in writing; confidential: the API shows the
// complainant to the supervision department only (every other role reads "[confidential]",
// shown here as 保密, and each read is audited). Supervision answers (a written complaint gets a
// written answer: checked here and by the server) and returns the outcome to the complainant.
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form, type FormValues, textOf } from '../components/Form.js';
import { t } from '../i18n/messages.js';
import type { Complaint, ComplaintChannel } from '../types.js';
import { dateText } from './Network.js';

const channels: readonly ComplaintChannel[] = ['written', 'phone', 'oral'];
/** What the API shows instead of the complainant to every role but supervision (R23). */
const confidential = '[confidential]';

export function complainantText(complaint: Complaint): string {
  const { name, contact } = complaint.complainant;
  return name === confidential ? t('common.confidential') : `${name} ${contact}`;
}

/** R23 in the browser: a written complaint gets a written answer (the server checks it again). */
export function answerProblems(complaint: Complaint, values: FormValues): Record<string, string> {
  return complaint.channel === 'written' && textOf(values, 'channel') !== 'written'
    ? { channel: t('complaint.writtenNeedsWritten') }
    : {};
}

export function Complaints(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const mayList = session.role === 'market' || session.role === 'supervision';
  const mayAnswer = session.role === 'supervision';
  const [items, setItems] = useState<readonly Complaint[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    if (!mayList) return;
    api<{ items: Complaint[] }>(
      session,
      'GET',
      `/api/v1/network/complaints${query({ state: 'all', limit: 10_000 })}`,
    ).then(
      (answer) => setItems(answer.items),
      () => setItems([]),
    );
  }, [session, refreshKey, reload, mayList]);
  const done = (): void => setReload((n) => n + 1);
  const complaint = items.find((c) => c.complaintId === selected && c.outcome === undefined);
  const channelOptions = channels.map((c) => ({ value: c, label: t(`complaint.channel.${c}`) }));
  return (
    <>
      <Form
        id="complaint-receive"
        title={t('complaint.receive')}
        submitLabel={t('complaint.receive')}
        fields={[
          { name: 'complaintId', label: t('complaint.id'), kind: 'text', pattern: 'id' },
          { name: 'channel', label: t('complaint.channel'), kind: 'select', options: channelOptions },
          {
            name: 'name',
            label: t('complaint.complainantName'),
            kind: 'text',
            serverFields: ['complainant'],
          },
          { name: 'contact', label: t('complaint.contact'), kind: 'text' },
          { name: 'stationId', label: t('field.stationId'), kind: 'text', pattern: 'id', required: false },
          { name: 'summary', label: t('complaint.summary'), kind: 'textarea' },
        ]}
        send={async (values) => {
          const stationId = textOf(values, 'stationId');
          await api(session, 'POST', '/api/v1/network/complaints', {
            complaintId: textOf(values, 'complaintId'),
            channel: textOf(values, 'channel'),
            complainant: { name: textOf(values, 'name'), contact: textOf(values, 'contact') },
            summary: textOf(values, 'summary'),
            ...(stationId === '' ? {} : { stationId }),
          });
          return t('common.done', { what: `${t('complaint.receive')} ${textOf(values, 'complaintId')}` });
        }}
        onDone={done}
      />
      {mayAnswer && complaint !== undefined ? (
        <section className="two-columns" aria-label={t('complaint.act', { id: complaint.complaintId })}>
          {complaint.answer === undefined ? (
            <Form
              key={`answer-${complaint.complaintId}`}
              id="complaint-answer"
              title={`${t('complaint.answer')} ${complaint.complaintId}`}
              submitLabel={t('complaint.answerSubmit')}
              fields={[
                {
                  name: 'channel',
                  label: t('complaint.answerChannel'),
                  kind: 'select',
                  options: channelOptions,
                  initial: complaint.channel,
                },
                { name: 'text', label: t('complaint.answerText'), kind: 'textarea' },
              ]}
              check={(values) => answerProblems(complaint, values)}
              send={async (values) => {
                await api(
                  session,
                  'POST',
                  `/api/v1/network/complaints/${encodeURIComponent(complaint.complaintId)}/answer`,
                  {
                    channel: textOf(values, 'channel'),
                    text: textOf(values, 'text'),
                  },
                );
                return t('common.done', { what: t('complaint.answer') });
              }}
              onDone={done}
            />
          ) : (
            <Form
              key={`outcome-${complaint.complaintId}`}
              id="complaint-outcome"
              title={`${t('complaint.outcome')} ${complaint.complaintId}`}
              submitLabel={t('complaint.outcomeSubmit')}
              fields={[{ name: 'text', label: t('complaint.outcomeText'), kind: 'textarea' }]}
              send={async (values) => {
                await api(
                  session,
                  'POST',
                  `/api/v1/network/complaints/${encodeURIComponent(complaint.complaintId)}/outcome`,
                  {
                    text: textOf(values, 'text'),
                  },
                );
                return t('common.done', { what: t('complaint.outcome') });
              }}
              onDone={done}
            />
          )}
        </section>
      ) : null}
      {mayList ? (
        <DataTable<Complaint>
          caption={t('complaint.title')}
          columns={[
            { title: t('complaint.id'), text: (c) => c.complaintId },
            { title: t('complaint.channel'), text: (c) => t(`complaint.channel.${c.channel}`) },
            { title: t('common.station'), text: (c) => c.stationId ?? '' },
            { title: t('complaint.complainant'), text: complainantText },
            { title: t('complaint.summary'), text: (c) => c.summary },
            { title: t('complaint.received'), text: (c) => dateText(c.receivedDate) },
            {
              title: t('complaint.answer'),
              text: (c) =>
                c.answer === undefined
                  ? t('complaint.none')
                  : `${t(`complaint.channel.${c.answer.channel}`)} ${dateText(c.answer.date)}:${c.answer.text}`,
              render: (c) =>
                c.outcome === undefined && mayAnswer ? (
                  <>
                    {c.answer === undefined
                      ? ''
                      : `${t(`complaint.channel.${c.answer.channel}`)}:${c.answer.text} `}
                    <button
                      type="button"
                      onClick={() => setSelected(c.complaintId)}
                      aria-label={t('complaint.act', { id: c.complaintId })}
                    >
                      {t('alerts.handle')}
                    </button>
                  </>
                ) : c.answer === undefined ? (
                  t('complaint.none')
                ) : (
                  `${t(`complaint.channel.${c.answer.channel}`)}:${c.answer.text}`
                ),
            },
            { title: t('complaint.outcome'), text: (c) => c.outcome?.text ?? '' },
          ]}
          rows={items}
          rowKey={(c) => c.complaintId}
          csvName="complaints.csv"
        />
      ) : null}
    </>
  );
}
