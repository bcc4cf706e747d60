// The payload of each station step (R14, R15, R18), checked field by field: every problem at once
// with the field named (R21), and the normalised payload that is stored. Business conditions
// (R12 spacing, R13 conditions, the free places, the org code) are judged in station.ts.

import { assert } from '../assert.js';
import { isMonth } from './deadlines.js';
import { isGeoPoint } from './geo.js';
import type { SurveyFindings } from './join-conditions.js';
import { fieldInvalid, type NetReason } from './refusal.js';

export const STATION_KINDS = [
  'proposed',
  'surveyed',
  'applied',
  'agreement-signed',
  'fee-settled',
  'fitted-out',
  'debit-account-set',
  'installed',
  'goods-delivered',
  'equipment-signed',
  'opened',
  'follow-up-visited',
  'suspended',
  'reopened',
  'closed',
  'change-requested',
  'change-approved',
  'move-requested',
  'move-surveyed',
  'transferred',
  'inspection-recorded',
  'training-recorded',
  'fee-check-recorded',
] as const;
export type StationKind = (typeof STATION_KINDS)[number];

export function isStationKind(value: string): value is StationKind {
  assert(typeof value === 'string', 'a kind is a string');
  return (STATION_KINDS as readonly string[]).includes(value);
}

/** R14/R22: the documents an application carries. */
export const REQUIRED_DOCUMENTS = ['business-licence', 'id-card'] as const;
/** R14: the free places (no platform fee), network-wide. */
export const FREE_PLACES_TOTAL = 140;
/** R14: the agreement is signed in three copies. */
export const AGREEMENT_COPIES = 3;
export const FEE_MODES = ['platform-fee', 'free-place', 'competitor-switch'] as const;
export type FeeMode = (typeof FEE_MODES)[number];
export const INSPECTION_METHODS = ['on-site', 'phone'] as const;

const idPattern = /^[A-Za-z0-9_-]{1,32}$/;
const textCharsMax = 500;

type Payload = Readonly<Record<string, unknown>>;

/** Checks the fields a kind needs; returns the reasons and the payload to store (only known fields). */
export function checkStationPayload(
  kind: StationKind,
  input: Payload,
): { readonly reasons: NetReason[]; readonly payload: Record<string, unknown> } {
  assert(isStationKind(kind), 'a station kind');
  const reasons: NetReason[] = [];
  const payload: Record<string, unknown> = {};
  const take = (field: string, valid: boolean, message: string): void => {
    if (valid) payload[field] = input[field];
    else reasons.push(fieldInvalid(field, message));
  };
  const text = (field: string, required = true): void => {
    assert(field.length > 0, 'a field name');
    const value = input[field];
    if (value === undefined && !required) return;
    take(
      field,
      typeof value === 'string' && value.trim().length > 0 && value.length <= textCharsMax,
      `text of 1..${textCharsMax} characters`,
    );
  };
  const id = (field: string, required = true): void => {
    assert(field.length > 0, 'a field name');
    const value = input[field];
    if (value === undefined && !required) return;
    take(field, typeof value === 'string' && idPattern.test(value), '1..32 of [A-Za-z0-9_-]');
  };
  switch (kind) {
    case 'proposed':
      id('branchId');
      text('name');
      take('location', isGeoPoint(input.location), '{ latitudeDeg, longitudeDeg } in degrees');
      break;
    case 'surveyed':
    case 'move-surveyed': {
      if (kind === 'surveyed')
        take('location', isGeoPoint(input.location), '{ latitudeDeg, longitudeDeg } in degrees');
      const findings = input.findings;
      if (typeof findings !== 'object' || findings === null)
        reasons.push(fieldInvalid('findings', 'the R13 survey findings'));
      else payload.findings = findings as Partial<SurveyFindings>;
      break;
    }
    case 'applied': {
      id('receiptNumber');
      const documents = input.documents;
      if (!Array.isArray(documents) || !documents.every((d) => typeof d === 'string'))
        reasons.push(fieldInvalid('documents', 'a list of document names'));
      else payload.documents = [...new Set(documents as string[])].sort();
      break;
    }
    case 'agreement-signed':
    case 'transferred':
      id('agreementNumber');
      take('copies', Number.isInteger(input.copies), 'a whole number of copies');
      if (kind === 'transferred') {
        text('holderName');
        id('orgCode', false);
      }
      break;
    case 'fee-settled':
      take('mode', (FEE_MODES as readonly unknown[]).includes(input.mode), FEE_MODES.join(' | '));
      if (input.mode === 'platform-fee')
        take(
          'platformFeeFen',
          Number.isSafeInteger(input.platformFeeFen) && (input.platformFeeFen as number) > 0,
          'integer fen > 0 (R1)',
        );
      else if (input.platformFeeFen !== undefined)
        reasons.push(fieldInvalid('platformFeeFen', 'only with mode platform-fee'));
      break;
    case 'debit-account-set':
      // Only the masked account number is kept (R24: first 6 / last 4).
      take(
        'accountMasked',
        typeof input.accountMasked === 'string' && /^\d{6}\*+\d{4}$/.test(input.accountMasked),
        'masked as 123456******7890',
      );
      break;
    case 'installed':
      id('ukKeySerial');
      take('trained', input.trained === true, 'true: installation includes the training (R14)');
      break;
    case 'opened':
      id('orgCode');
      id('quotaAccount');
      break;
    case 'follow-up-visited':
    case 'suspended':
    case 'reopened':
    case 'closed':
    case 'change-approved':
      text('notes', false);
      break;
    case 'change-requested':
      text('description');
      id('orgCode', false);
      break;
    case 'move-requested':
      take('location', isGeoPoint(input.location), '{ latitudeDeg, longitudeDeg } in degrees');
      break;
    case 'inspection-recorded':
      take(
        'method',
        (INSPECTION_METHODS as readonly unknown[]).includes(input.method),
        INSPECTION_METHODS.join(' | '),
      );
      text('findings');
      break;
    case 'training-recorded':
      text('topic');
      break;
    case 'fee-check-recorded':
      take('month', isMonth(input.month), 'YYYY-MM');
      take(
        'overchargeCount',
        Number.isInteger(input.overchargeCount) && (input.overchargeCount as number) >= 0,
        'a whole number >= 0',
      );
      break;
    case 'goods-delivered':
    case 'equipment-signed':
    case 'fitted-out':
      text('notes', false);
      break;
  }
  return { reasons, payload };
}
