// The shop counter's side of a kiosk, as the demo and the tests drive it: withdrawals (card in,
// PIN typed on the PIN pad simulator, HQ's answer, cash confirmed), bill payments and top-ups,
// all through the kiosk's operator API, each with a client-made transaction id so a retried call
// is never paid twice. Every outcome is returned as a value, refusals with every reason (R21).
import type { Kiosk } from './kiosk.js';

export interface Reason {
  readonly code: string;
  readonly message: string;
}

export type TxOutcome =
  | {
      readonly ok: true;
      readonly phase: string;
      readonly receiptNumber: string | null;
      readonly feeFen: number;
      readonly quotaFenAfter: number | null;
    }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

function refusalOf(body: Record<string, unknown>, status: number): TxOutcome {
  const reasons = Array.isArray(body.reasons)
    ? (body.reasons as Reason[])
    : [
        {
          code: String(body.code ?? `HTTP_${status}`),
          message: String(body.message ?? JSON.stringify(body)),
        },
      ];
  return { ok: false, reasons };
}

/** A cash withdrawal (R5): the customer's card `cardIndex` goes in, the PIN pad takes the PIN. */
export async function withdraw(
  kiosk: Kiosk,
  txId: string,
  cardIndex: number,
  amountFen: number,
  afterAuthorised: 'confirm' | 'void' = 'confirm',
): Promise<TxOutcome> {
  await kiosk.cardReader.control({ op: 'insert', card: cardIndex });
  try {
    const started = await kiosk.post('/v1/withdrawals', { amountFen, txId });
    if (started.status !== 200 || started.body.ok === false) return refusalOf(started.body, started.status);
    let view = started.body.withdrawal as { phase: string; receiptNumber: string | null; feeFen: number };
    if (view.phase === 'authorised') {
      const path = `/v1/withdrawals/${txId}/${afterAuthorised === 'confirm' ? 'confirm-cash' : 'void'}`;
      const next = await kiosk.post(path);
      if (next.status !== 200 || next.body.ok === false) return refusalOf(next.body, next.status);
      view = next.body.withdrawal as typeof view;
    }
    return {
      ok: true,
      phase: view.phase,
      receiptNumber: view.receiptNumber,
      feeFen: view.feeFen,
      quotaFenAfter: null,
    };
  } finally {
    await kiosk.cardReader.control({ op: 'remove' });
  }
}

function paymentOutcome(reply: { status: number; body: Record<string, unknown> }): TxOutcome {
  if (reply.status !== 200 || reply.body.ok === false) return refusalOf(reply.body, reply.status);
  const payment = reply.body.payment as { receiptNumber: string; quotaFenAfter: number };
  return {
    ok: true,
    phase: 'done',
    receiptNumber: payment.receiptNumber,
    feeFen: 0,
    quotaFenAfter: payment.quotaFenAfter,
  };
}

export type BillerKind = 'WATER' | 'ELECTRICITY' | 'GAS' | 'PHONE' | 'BROADBAND';

/** A utility bill paid in cash at the counter: consumes the station's quota (R2). */
export async function payBill(
  kiosk: Kiosk,
  txId: string,
  billerKind: BillerKind,
  accountNumber: string,
  amountFen: number,
): Promise<TxOutcome> {
  const billerCode = `${billerKind.slice(0, 4)}-3301`;
  return paymentOutcome(
    await kiosk.post('/v1/bill-payments', { billerKind, billerCode, accountNumber, amountFen, txId }),
  );
}

/** A mobile top-up paid in cash: consumes the station's quota (R2). */
export async function topUp(
  kiosk: Kiosk,
  txId: string,
  phoneNumber: string,
  amountFen: number,
): Promise<TxOutcome> {
  const carrier = ['CMCC', 'CUCC', 'CTCC'][Number(phoneNumber.at(-1)) % 3];
  return paymentOutcome(await kiosk.post('/v1/topups', { phoneNumber, carrier, amountFen, txId }));
}
