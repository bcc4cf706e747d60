// Goal: hostile bytes never crash a receiver: every truncation, oversize, garbage or out-of-range
// field gives a WireError with a stable code naming the field. Method: crafted inputs per rule,
// built by encoding raw generated messages that bypass the package's own encoder checks.

import { inspect } from 'node:util';
import t from 'tap';
import {
  type bianmin,
  buildSigned,
  decodeEnvelope,
  decodePayload,
  decodeSignedHeader,
  encodeEnvelope,
  encodePayload,
  limits,
  openEnvelope,
  PayloadType,
  sealEnvelope,
  v1,
  WireError,
} from '../src/index.js';
import { newKey, sampleInput, samplePayloads } from './fixtures.js';

const key = newKey();
const decodeCodes = new Set(['WIRE_TRUNCATED', 'WIRE_MALFORMED', 'WIRE_BAD_FIELD', 'WIRE_TOO_LARGE']);

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof WireError ? error.code : `raw ${String(error)}`;
  }
}

function fieldOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof WireError ? String(error.details.field) : `raw ${String(error)}`;
  }
}

/** An envelope around a raw SignedHeader, validly signed, so only the decoder checks stand between. */
function rawEnvelope(header: bianmin.v1.SignedHeader.$Properties): Uint8Array {
  const signed = v1.SignedHeader.encode(header).finish();
  return sealRaw(signed);
}

function sealRaw(signed: Uint8Array): Uint8Array {
  return encodeEnvelope({ signed, signature: new Uint8Array(64).fill(3) });
}

function headerWith(
  overrides: Partial<bianmin.v1.SignedHeader.$Properties>,
  body?: Uint8Array,
): bianmin.v1.SignedHeader.$Properties {
  return {
    stationId: 'ST0001',
    keyId: key.keyId,
    seq: 1,
    eventId: 'ev-1',
    createdAtMs: 1_764_300_000_000,
    type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    body:
      body ??
      encodePayload(
        PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
        samplePayloads[PayloadType.PAYLOAD_TYPE_BILL_PAYMENT],
      ),
    version: 1,
    ...overrides,
  };
}

t.test('every truncation of a valid envelope is a typed error, never a crash', async (t) => {
  const bytes = sealEnvelope(sampleInput(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, key.keyId), key.privateKey);
  const seen = new Map<string, number>();
  for (let length = 0; length < bytes.length; length += 1) {
    const code = codeOf(() => openEnvelope(bytes.subarray(0, length)));
    seen.set(code, (seen.get(code) ?? 0) + 1);
  }
  t.ok(
    [...seen.keys()].every((code) => decodeCodes.has(code)),
    `codes seen: ${[...seen.keys()].join(', ')}`,
  );
  t.ok(seen.has('WIRE_TRUNCATED'), 'cutting mid-field is WIRE_TRUNCATED');
  t.equal(
    codeOf(() => openEnvelope(bytes)),
    'ok',
  );
});

t.test('WIRE_TOO_LARGE: refused before decoding, at every layer', async (t) => {
  t.equal(
    codeOf(() => decodeEnvelope(new Uint8Array(limits.envelopeBytesMax + 1))),
    'WIRE_TOO_LARGE',
  );
  t.equal(
    codeOf(() => decodeSignedHeader(new Uint8Array(limits.signedBytesMax + 1))),
    'WIRE_TOO_LARGE',
  );
  t.equal(
    codeOf(() =>
      decodePayload(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, new Uint8Array(limits.bodyBytesMax + 1)),
    ),
    'WIRE_TOO_LARGE',
  );
  const refusals = Array.from({ length: limits.repeatedItemsMax }, (_, index) => ({
    seq: index + 1,
    reason: v1.RefusalReason.REFUSAL_REASON_MALFORMED,
    detail: 'x'.repeat(limits.detailCharsMax),
  }));
  const huge = { ...samplePayloads[PayloadType.PAYLOAD_TYPE_ACK], refusals };
  t.equal(
    codeOf(() => encodePayload(PayloadType.PAYLOAD_TYPE_ACK, huge)),
    'WIRE_TOO_LARGE',
    'each field in bounds, the sum not',
  );
  t.equal(
    codeOf(() =>
      encodeEnvelope({ signed: new Uint8Array(limits.signedBytesMax + 1), signature: new Uint8Array(64) }),
    ),
    'WIRE_TOO_LARGE',
  );
  const bigBody = new Uint8Array(limits.bodyBytesMax + 10);
  t.equal(
    codeOf(() => openEnvelope(rawEnvelope(headerWith({}, bigBody)))),
    'WIRE_TOO_LARGE',
  );
});

t.test('WIRE_MALFORMED and WIRE_TRUNCATED from protobufjs', async (t) => {
  t.equal(
    codeOf(() => decodeEnvelope(new Uint8Array([0x0f, 0x01]))),
    'WIRE_MALFORMED',
    'wire type 7',
  );
  t.equal(
    codeOf(() => decodeEnvelope(new Uint8Array([0x0a, 0x05, 0x01]))),
    'WIRE_TRUNCATED',
    'length past the end',
  );
  t.equal(
    codeOf(() => decodeEnvelope(new Uint8Array([0x08, 0xff, 0xff]))),
    'WIRE_TRUNCATED',
    'varint cut',
  );
  t.equal(
    codeOf(() => decodeEnvelope(new Uint8Array([]))),
    'WIRE_BAD_FIELD',
    'empty',
  );
  t.equal(
    codeOf(() => decodeEnvelope('garbage' as never)),
    'WIRE_BAD_FIELD',
    'not bytes',
  );
  const badBody = rawEnvelope(headerWith({}, new Uint8Array([0x0f])));
  t.equal(
    codeOf(() => openEnvelope(badBody)),
    'WIRE_MALFORMED',
    'body with wire type 7',
  );
});

t.test('header rules', async (t) => {
  const cases: Array<[string, Partial<bianmin.v1.SignedHeader.$Properties>, string, string]> = [
    ['version 2', { version: 2 }, 'WIRE_UNSUPPORTED_VERSION', 'undefined'],
    ['version 0 (missing)', { version: 0 }, 'WIRE_UNSUPPORTED_VERSION', 'undefined'],
    ['type unspecified', { type: 0 }, 'WIRE_UNKNOWN_PAYLOAD_TYPE', 'undefined'],
    ['type unknown', { type: 99 as never }, 'WIRE_UNKNOWN_PAYLOAD_TYPE', 'undefined'],
    ['station id with /', { stationId: 'ST/1' }, 'WIRE_BAD_FIELD', 'header.stationId'],
    ['station id empty', { stationId: '' }, 'WIRE_BAD_FIELD', 'header.stationId'],
    ['key id empty', { keyId: '' }, 'WIRE_BAD_FIELD', 'header.keyId'],
    ['event id too long', { eventId: 'e'.repeat(65) }, 'WIRE_BAD_FIELD', 'header.eventId'],
    ['event id with a space', { eventId: 'e 1' }, 'WIRE_BAD_FIELD', 'header.eventId'],
    ['journaled event with seq 0', { seq: 0 }, 'WIRE_BAD_FIELD', 'header.seq'],
    ['created at 0', { createdAtMs: 0 }, 'WIRE_BAD_FIELD', 'header.createdAtMs'],
    ['created at negative', { createdAtMs: -5 }, 'WIRE_BAD_FIELD', 'header.createdAtMs'],
    ['seq beyond 2^53', { seq: 2 ** 60 }, 'WIRE_BAD_FIELD', 'header.seq'],
  ];
  for (const [name, overrides, code, field] of cases) {
    const bytes = rawEnvelope(headerWith(overrides));
    t.equal(
      codeOf(() => openEnvelope(bytes)),
      code,
      name,
    );
    t.equal(
      fieldOf(() => openEnvelope(bytes)),
      field,
      `${name}: field`,
    );
  }
  const birth = encodePayload(PayloadType.PAYLOAD_TYPE_BIRTH, samplePayloads[PayloadType.PAYLOAD_TYPE_BIRTH]);
  const birthWithSeq = rawEnvelope(headerWith({ type: PayloadType.PAYLOAD_TYPE_BIRTH, seq: 5 }, birth));
  t.equal(
    fieldOf(() => openEnvelope(birthWithSeq)),
    'header.seq',
    'a non-journaled message must have seq 0',
  );
  t.equal(
    codeOf(() => buildSigned({ ...sampleInput(PayloadType.PAYLOAD_TYPE_DEATH, key.keyId), seq: 3 })),
    'WIRE_BAD_FIELD',
    'the encoder refuses what the decoder would',
  );
  t.equal(
    codeOf(() => encodeEnvelope({ signed: new Uint8Array([1]), signature: new Uint8Array(63) })),
    'WIRE_BAD_FIELD',
  );
  t.equal(
    codeOf(() => encodeEnvelope({ signed: new Uint8Array(0), signature: new Uint8Array(64) })),
    'WIRE_BAD_FIELD',
  );
});

t.test('payload field rules name the field', async (t) => {
  const P = PayloadType;
  const s = samplePayloads;
  const cases: Array<[string, () => unknown, string]> = [
    [
      'negative fen',
      () =>
        encodePayload(P.PAYLOAD_TYPE_BILL_PAYMENT, { ...s[P.PAYLOAD_TYPE_BILL_PAYMENT], quotaFenAfter: -1 }),
      'body.quotaFenAfter',
    ],
    [
      'fractional fen is refused before encoding, never truncated (R1)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_BILL_PAYMENT, { ...s[P.PAYLOAD_TYPE_BILL_PAYMENT], amountFen: 12.5 }),
      'body.amountFen',
    ],
    [
      'NaN fen',
      () =>
        encodePayload(P.PAYLOAD_TYPE_TELEMETRY, {
          ...s[P.PAYLOAD_TYPE_TELEMETRY],
          quotaFenAvailable: Number.NaN,
        }),
      'body.quotaFenAvailable',
    ],
    [
      'fractional fen in a nested total',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          totals: [{ kind: 1, count: 1, amountFen: 0.5, feeFen: 0, quotaFenConsumed: 0 }],
        }),
      'body.totals[0].amountFen',
    ],
    [
      'zero amount',
      () => encodePayload(P.PAYLOAD_TYPE_BILL_PAYMENT, { ...s[P.PAYLOAD_TYPE_BILL_PAYMENT], amountFen: 0 }),
      'body.amountFen',
    ],
    [
      'fen beyond 2^53 is refused, never rounded',
      () =>
        encodePayload(P.PAYLOAD_TYPE_BILL_PAYMENT, { ...s[P.PAYLOAD_TYPE_BILL_PAYMENT], amountFen: 2 ** 53 }),
      'body.amountFen',
    ],
    [
      'missing card',
      () =>
        encodePayload(P.PAYLOAD_TYPE_WITHDRAWAL_POSTED, {
          ...s[P.PAYLOAD_TYPE_WITHDRAWAL_POSTED],
          card: null,
        }),
      'body.card',
    ],
    [
      'full PAN where a masked one belongs (R24)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_WITHDRAWAL_POSTED, {
          ...s[P.PAYLOAD_TYPE_WITHDRAWAL_POSTED],
          card: { maskedPan: '6228480012345678', cardToken: 'ct' },
        }),
      'body.card.maskedPan',
    ],
    [
      'PIN block of 15 bytes',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_REQUEST, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_REQUEST],
          pinBlock: new Uint8Array(15),
        }),
      'body.pinBlock',
    ],
    [
      'PIN block format 0',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_REQUEST, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_REQUEST],
          pinBlockFormat: 0,
        }),
      'body.pinBlockFormat',
    ],
    [
      'PAN with letters',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_REQUEST, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_REQUEST],
          pan: '62284800abcd5678',
        }),
      'body.pan',
    ],
    [
      'masked PAN of another card',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_REQUEST, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_REQUEST],
          pan: '6228480012349999',
        }),
      'body.card.maskedPan',
    ],
    [
      'approved without bank reference',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE],
          bankReference: '',
        }),
      'body.bankReference',
    ],
    [
      'declined without reason',
      () =>
        encodePayload(P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
          ...s[P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE],
          decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED,
        }),
      'body.declineReason',
    ],
    [
      'unknown enum value',
      () =>
        encodePayload(P.PAYLOAD_TYPE_WITHDRAWAL_VOIDED, {
          ...s[P.PAYLOAD_TYPE_WITHDRAWAL_VOIDED],
          reason: 42 as never,
        }),
      'body.reason',
    ],
    [
      'not a calendar date',
      () =>
        encodePayload(P.PAYLOAD_TYPE_MOBILE_TOPUP, {
          ...s[P.PAYLOAD_TYPE_MOBILE_TOPUP],
          businessDate: '2026-02-30',
        }),
      'body.businessDate',
    ],
    [
      'bad close hash',
      () => encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, { ...s[P.PAYLOAD_TYPE_DAILY_CLOSE], closeHash: 'ABC' }),
      'body.closeHash',
    ],
    [
      'first seq after last seq',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          firstSeq: 10,
          lastSeq: 9,
        }),
      'body.firstSeq',
    ],
    [
      'negative total in a close',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          totals: [{ kind: 1, count: 1, amountFen: -100, feeFen: 0, quotaFenConsumed: 0 }],
        }),
      'body.totals[0].amountFen',
    ],
    [
      'a negative drawer count (R8)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          cashDeclared: { cashFenCounted: -1, floatFenOpening: 0, declaredAtMs: 1 },
        }),
      'body.cashDeclared.cashFenCounted',
    ],
    [
      'a drawer count over cashFenDeclaredMax (R8)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_CASH_DECLARED, {
          ...s[P.PAYLOAD_TYPE_CASH_DECLARED],
          declaration: { cashFenCounted: limits.cashFenDeclaredMax + 1, floatFenOpening: 0, declaredAtMs: 1 },
        }),
      'body.declaration.cashFenCounted',
    ],
    [
      'a late declaration without its count (R8)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_CASH_DECLARED, {
          businessDate: '2026-11-28',
          closeHash: 'a'.repeat(64),
        }),
      'body.declaration',
    ],
    [
      'a late declaration naming no close (R8)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_CASH_DECLARED, { ...s[P.PAYLOAD_TYPE_CASH_DECLARED], closeHash: '' }),
      'body.closeHash',
    ],
    [
      'too many refusals',
      () =>
        encodePayload(P.PAYLOAD_TYPE_ACK, {
          ...s[P.PAYLOAD_TYPE_ACK],
          refusals: Array.from({ length: limits.repeatedItemsMax + 1 }, (_, index) => ({
            seq: index + 1,
            reason: 1,
          })),
        }),
      'body.refusals',
    ],
    [
      'string over the generic cap',
      () =>
        encodePayload(P.PAYLOAD_TYPE_ENROLMENT_REQUEST, {
          ...s[P.PAYLOAD_TYPE_ENROLMENT_REQUEST],
          tokenLabel: 'x'.repeat(limits.stringCharsMax + 1),
        }),
      'body.tokenLabel',
    ],
    [
      'service window ending after midnight',
      () =>
        encodePayload(P.PAYLOAD_TYPE_STATION_CONFIG, {
          ...s[P.PAYLOAD_TYPE_STATION_CONFIG],
          serviceHours: {
            timeZone: 'Asia/Shanghai',
            opensAtMinute: 480,
            closesAtMinute: 1200,
            maintenanceWindows: [{ startMinute: 840, endMinute: 1441 }],
          },
        }),
      'body.serviceHours.maintenanceWindows[0].endMinute',
    ],
    [
      'config without a fee schedule',
      () =>
        encodePayload(P.PAYLOAD_TYPE_STATION_CONFIG, {
          ...s[P.PAYLOAD_TYPE_STATION_CONFIG],
          feeSchedules: [],
        }),
      'body.feeSchedules',
    ],
    [
      'a close with two lines of one kind',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          totals: [
            { kind: 2, count: 1, amountFen: 1, feeFen: 0, quotaFenConsumed: 1 },
            { kind: 2, count: 1, amountFen: 1, feeFen: 0, quotaFenConsumed: 1 },
          ],
        }),
      'body.totals[1].kind',
    ],
    [
      'a close whose previous hash is empty (the first close uses 64 zeros)',
      () =>
        encodePayload(P.PAYLOAD_TYPE_DAILY_CLOSE, {
          ...s[P.PAYLOAD_TYPE_DAILY_CLOSE],
          previousCloseHash: '',
        }),
      'body.previousCloseHash',
    ],
    [
      'config without limits',
      () =>
        encodePayload(P.PAYLOAD_TYPE_STATION_CONFIG, { ...s[P.PAYLOAD_TYPE_STATION_CONFIG], limits: null }),
      'body.limits',
    ],
    [
      'command without action',
      () => encodePayload(P.PAYLOAD_TYPE_COMMAND, { commandId: 'c', notAfterMs: 1 }),
      'body.action',
    ],
    [
      'enrolment with a bad station id',
      () =>
        encodePayload(P.PAYLOAD_TYPE_ENROLMENT_REQUEST, {
          ...s[P.PAYLOAD_TYPE_ENROLMENT_REQUEST],
          stationId: 'a b',
        }),
      'body.stationId',
    ],
  ];
  for (const [name, run, field] of cases) {
    t.equal(codeOf(run), 'WIRE_BAD_FIELD', name);
    t.equal(fieldOf(run), field, `${name}: names ${field}`);
  }
});

t.test('an int64 of 2^63-1 crafted on the wire is refused, not rounded', async (t) => {
  // BillPayment field 5 (amount_fen), varint 0x7fffffffffffffff.
  const body = new Uint8Array([0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  t.equal(
    codeOf(() => decodePayload(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, body)),
    'WIRE_BAD_FIELD',
  );
  t.equal(
    fieldOf(() => decodePayload(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, body)),
    'body.amountFen',
  );
});

t.test('errors carry no secrets', async (t) => {
  const request = samplePayloads[PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST];
  try {
    encodePayload(PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST, { ...request, pan: '6228480012349999' });
    t.fail('should throw');
  } catch (error) {
    const text = JSON.stringify({ message: (error as Error).message, details: (error as WireError).details });
    t.notMatch(text, /6228480012349999/, 'the PAN is not in the error');
  }
});

t.test('an AuthorisationRequest never prints its PAN or PIN block (R24)', async (t) => {
  const request = samplePayloads[PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST];
  const decoded = decodePayload(
    PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST,
    encodePayload(PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST, request),
  );
  t.equal(decoded.pan, '6228480012345678', 'the bank-bound field itself is intact');
  const pinBlockHex = Buffer.from(decoded.pinBlock).toString('hex');
  for (const text of [
    JSON.stringify(decoded),
    JSON.stringify({ nested: [decoded] }),
    inspect(decoded),
    `${inspect({ decoded })}`,
  ]) {
    t.notMatch(text, /6228480012345678/, 'no full PAN');
    t.notMatch(text, new RegExp(pinBlockHex), 'no PIN block hex');
    t.notMatch(text, /90,\s*90,\s*90/, 'no PIN block bytes');
    t.match(text, /\[secret\]/);
    t.match(text, /622848\*{6}5678/, 'the masked PAN is there');
  }
  const created = new v1.AuthorisationRequest(request);
  t.notMatch(JSON.stringify(created), /6228480012345678/, 'also for instances made by the sender');
});
