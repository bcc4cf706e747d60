// 维修 (R19): repair tickets (a branch user: its own stations), opened by phone here or by the
// kiosk's telemetry; the e-commerce centre adds notes and closes a ticket with its cost in yuan
// (sent as integer fen, R1; the merchant pays).
import { type ReactNode, useEffect, useState } from 'react';
import { api, query, type Session } from '../api.js';
import { DataTable } from '../components/DataTable.js';
import { Form, textOf } from '../components/Form.js';
import { formatFen, parseYuanToFen } from '../format.js';
import { t } from '../i18n/messages.js';
import type { RepairTicket } from '../types.js';
import { dateText } from './Network.js';

export function Repairs(props: { readonly session: Session; readonly refreshKey: number }): ReactNode {
  const { session, refreshKey } = props;
  const [tickets, setTickets] = useState<readonly RepairTicket[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reload are the triggers
  useEffect(() => {
    api<{ items: RepairTicket[] }>(
      session,
      'GET',
      `/api/v1/network/repairs${query({ state: 'all', limit: 10_000 })}`,
    ).then(
      (answer) => setTickets(answer.items),
      () => setTickets([]),
    );
  }, [session, refreshKey, reload]);
  const mayOpen = ['branch', 'market', 'ecommerce'].includes(session.role);
  const mayHandle = session.role === 'ecommerce';
  const ticket = tickets.find((x) => x.ticketId === selected && x.closed === undefined);
  const done = (): void => setReload((n) => n + 1);
  return (
    <>
      {mayOpen ? (
        <Form
          id="repair-open"
          title={t('repair.open')}
          submitLabel={t('repair.open')}
          fields={[
            { name: 'ticketId', label: t('repair.ticketId'), kind: 'text', pattern: 'id' },
            { name: 'stationId', label: t('field.stationId'), kind: 'text', pattern: 'id' },
            { name: 'peripheral', label: t('repair.peripheral'), kind: 'text' },
            { name: 'fault', label: t('repair.fault'), kind: 'textarea' },
          ]}
          send={async (values) => {
            await api(session, 'POST', '/api/v1/network/repairs', {
              ticketId: textOf(values, 'ticketId'),
              stationId: textOf(values, 'stationId'),
              peripheral: textOf(values, 'peripheral'),
              fault: textOf(values, 'fault'),
              source: 'phone',
            });
            return t('common.done', { what: `${t('repair.open')} ${textOf(values, 'ticketId')}` });
          }}
          onDone={done}
        />
      ) : null}
      {mayHandle && ticket !== undefined ? (
        <section className="two-columns" aria-label={t('repair.act', { ticket: ticket.ticketId })}>
          <Form
            key={`note-${ticket.ticketId}`}
            id="repair-note"
            title={`${t('repair.addNote')} ${ticket.ticketId}`}
            submitLabel={t('repair.addNote')}
            fields={[{ name: 'note', label: t('repair.note'), kind: 'textarea' }]}
            send={async (values) => {
              await api(
                session,
                'POST',
                `/api/v1/network/repairs/${encodeURIComponent(ticket.ticketId)}/notes`,
                {
                  note: textOf(values, 'note'),
                },
              );
              return t('common.done', { what: t('repair.addNote') });
            }}
            onDone={done}
          />
          <Form
            key={`close-${ticket.ticketId}`}
            id="repair-close"
            title={`${t('repair.close')} ${ticket.ticketId}`}
            submitLabel={t('repair.close')}
            fields={[{ name: 'cost', label: t('repair.costYuan'), kind: 'yuan', serverFields: ['costFen'] }]}
            send={async (values) => {
              const costFen = parseYuanToFen(textOf(values, 'cost'));
              if (costFen === null) throw new RangeError('repair cost: checked before sending');
              await api(
                session,
                'POST',
                `/api/v1/network/repairs/${encodeURIComponent(ticket.ticketId)}/close`,
                {
                  costFen,
                },
              );
              return t('common.done', { what: t('repair.close') });
            }}
            onDone={done}
          />
        </section>
      ) : null}
      <DataTable<RepairTicket>
        caption={t('repair.title')}
        columns={[
          { title: t('repair.ticketId'), text: (r) => r.ticketId },
          { title: t('common.station'), text: (r) => r.stationId },
          { title: t('repair.peripheral'), text: (r) => r.peripheral },
          { title: t('repair.fault'), text: (r) => r.fault },
          { title: t('repair.source'), text: (r) => t(`repair.source.${r.source}`) },
          { title: t('repair.openedDate'), text: (r) => dateText(r.openedDate) },
          { title: t('repair.note'), text: (r) => r.notes.join(';') },
          {
            title: t('repair.state'),
            text: (r) => (r.closed === undefined ? t('repair.state.open') : t('repair.state.closed')),
            render: (r) =>
              r.closed === undefined && mayHandle ? (
                <button
                  type="button"
                  onClick={() => setSelected(r.ticketId)}
                  aria-label={t('repair.act', { ticket: r.ticketId })}
                >
                  {t('alerts.handle')}
                </button>
              ) : r.closed === undefined ? (
                t('repair.state.open')
              ) : (
                `${t('repair.state.closed')} ${dateText(r.closed.date)}`
              ),
          },
          {
            title: t('repair.cost'),
            text: (r) => (r.closed === undefined ? '' : formatFen(r.closed.costFen)),
            numeric: true,
          },
        ]}
        rows={tickets}
        rowKey={(r) => r.ticketId}
        csvName="repairs.csv"
      />
    </>
  );
}
