// The station lifecycle steps the console offers (issue 12), as the gateway declares them
// (packages/hq-gateway/src/adapters/http/network-station-routes.ts stationStepSpecs): who may take
// each step, from which states (domain/network/station.ts STEP_FROM), its fields and the body it
// sends. A person sees only the steps their department may take from the station's state now.
import type { FieldSpec, FormValues } from './components/Form.js';
import { numberOf, textOf } from './components/Form.js';
import { parseYuanToFen } from './format.js';
import { t } from './i18n/messages.js';

export type NetStationState =
  | 'proposed'
  | 'surveyed'
  | 'rejected'
  | 'applied'
  | 'agreement-signed'
  | 'fee-settled'
  | 'fitted-out'
  | 'debit-account-set'
  | 'installed'
  | 'goods-delivered'
  | 'equipment-signed'
  | 'open'
  | 'suspended'
  | 'closed';

export interface StepSpec {
  readonly kind: string;
  readonly roles: readonly string[];
  readonly from: readonly NetStationState[];
  readonly fields: () => readonly FieldSpec[];
  readonly body: (values: FormValues) => Record<string, unknown>;
}

const live: readonly NetStationState[] = ['open', 'suspended'];
const notes = (): FieldSpec[] => [
  { name: 'notes', label: t('field.notes'), kind: 'textarea', required: false },
];
const notesBody = (values: FormValues): Record<string, unknown> =>
  textOf(values, 'notes') === '' ? {} : { notes: textOf(values, 'notes') };
const id = (name: string, required = true): FieldSpec => ({
  name,
  label: t(`field.${name}` as 'field.orgCode'),
  kind: 'text',
  pattern: 'id',
  required,
});
const findingFields = (): FieldSpec[] => [
  { name: 'premisesM2', label: t('field.premisesM2'), kind: 'number', hint: 'R13 ≥ 10' },
  { name: 'terminalSpaceM2', label: t('field.terminalSpaceM2'), kind: 'number', hint: 'R13 ≥ 1' },
  { name: 'signageSpace', label: t('field.signageSpace'), kind: 'checkbox' },
  { name: 'communicationLine', label: t('field.communicationLine'), kind: 'checkbox' },
  { name: 'tradingMonths', label: t('field.tradingMonths'), kind: 'integer', hint: 'R13 ≥ 6' },
];
const findingsBody = (values: FormValues): Record<string, unknown> => ({
  premisesM2: numberOf(values, 'premisesM2'),
  terminalSpaceM2: numberOf(values, 'terminalSpaceM2'),
  signageSpace: values.signageSpace === true,
  communicationLine: values.communicationLine === true,
  tradingMonths: numberOf(values, 'tradingMonths'),
});
/** Latitude and longitude fields; problems about the site ('location', R12) show at the latitude. */
export const locationFields = (): FieldSpec[] => [
  { name: 'latitudeDeg', label: t('net.latitude'), kind: 'number', serverFields: ['location'] },
  { name: 'longitudeDeg', label: t('net.longitude'), kind: 'number' },
];
export const locationBody = (values: FormValues): { latitudeDeg: number; longitudeDeg: number } => ({
  latitudeDeg: numberOf(values, 'latitudeDeg'),
  longitudeDeg: numberOf(values, 'longitudeDeg'),
});

export const stepSpecs: readonly StepSpec[] = [
  {
    kind: 'surveyed',
    roles: ['market'],
    from: ['proposed'],
    fields: () => [...locationFields(), ...findingFields()],
    body: (v) => ({ location: locationBody(v), findings: findingsBody(v) }),
  },
  {
    kind: 'applied',
    roles: ['market'],
    from: ['surveyed'],
    fields: () => [
      id('receiptNumber'),
      {
        name: 'documents',
        label: t('field.documents'),
        kind: 'checkboxes',
        options: [
          { value: 'business-licence', label: t('field.doc.business-licence') },
          { value: 'id-card', label: t('field.doc.id-card') },
        ],
      },
    ],
    body: (v) => ({
      receiptNumber: textOf(v, 'receiptNumber'),
      documents: [...((v.documents as string[]) ?? [])],
    }),
  },
  {
    kind: 'agreement-signed',
    roles: ['market'],
    from: ['applied'],
    fields: () => [
      id('agreementNumber'),
      { name: 'copies', label: t('field.copies'), kind: 'integer', initial: '3' },
    ],
    body: (v) => ({ agreementNumber: textOf(v, 'agreementNumber'), copies: numberOf(v, 'copies') }),
  },
  {
    kind: 'fee-settled',
    roles: ['finance'],
    from: ['agreement-signed'],
    fields: () => [
      {
        name: 'mode',
        label: t('field.mode'),
        kind: 'select',
        options: ['platform-fee', 'free-place', 'competitor-switch'].map((m) => ({
          value: m,
          label: t(`field.mode.${m}` as 'field.mode.free-place'),
        })),
      },
      {
        name: 'platformFeeYuan',
        label: t('field.platformFeeYuan'),
        kind: 'yuan',
        required: false,
        serverFields: ['platformFeeFen'],
      },
    ],
    body: (v) => {
      const fen = parseYuanToFen(textOf(v, 'platformFeeYuan'));
      return { mode: textOf(v, 'mode'), ...(fen === null ? {} : { platformFeeFen: fen }) };
    },
  },
  { kind: 'fitted-out', roles: ['market'], from: ['fee-settled'], fields: notes, body: notesBody },
  {
    kind: 'debit-account-set',
    roles: ['agency_finance'],
    from: ['fitted-out'],
    fields: () => [
      { name: 'accountMasked', label: t('field.accountMasked'), kind: 'text', hint: '622202******1234' },
    ],
    body: (v) => ({ accountMasked: textOf(v, 'accountMasked') }),
  },
  {
    kind: 'installed',
    roles: ['ecommerce'],
    from: ['debit-account-set'],
    fields: () => [id('ukKeySerial'), { name: 'trained', label: t('field.trained'), kind: 'checkbox' }],
    body: (v) => ({ ukKeySerial: textOf(v, 'ukKeySerial'), trained: v.trained === true }),
  },
  { kind: 'goods-delivered', roles: ['branch'], from: ['installed'], fields: notes, body: notesBody },
  { kind: 'equipment-signed', roles: ['market'], from: ['goods-delivered'], fields: notes, body: notesBody },
  {
    kind: 'opened',
    roles: ['ecommerce'],
    from: ['equipment-signed'],
    fields: () => [id('orgCode'), id('quotaAccount')],
    body: (v) => ({ orgCode: textOf(v, 'orgCode'), quotaAccount: textOf(v, 'quotaAccount') }),
  },
  { kind: 'follow-up-visited', roles: ['ecommerce'], from: live, fields: notes, body: notesBody },
  { kind: 'suspended', roles: ['market', 'supervision'], from: ['open'], fields: notes, body: notesBody },
  { kind: 'reopened', roles: ['market'], from: ['suspended'], fields: notes, body: notesBody },
  {
    kind: 'change-requested',
    roles: ['branch', 'market'],
    from: live,
    fields: () => [{ name: 'description', label: t('field.description'), kind: 'textarea' }],
    body: (v) => ({ description: textOf(v, 'description') }),
  },
  { kind: 'change-approved', roles: ['market'], from: live, fields: notes, body: notesBody },
  {
    kind: 'move-requested',
    roles: ['branch', 'market'],
    from: live,
    fields: locationFields,
    body: (v) => ({ location: locationBody(v) }),
  },
  {
    kind: 'move-surveyed',
    roles: ['market'],
    from: live,
    fields: findingFields,
    body: (v) => ({ findings: findingsBody(v) }),
  },
  {
    kind: 'training-recorded',
    roles: ['ecommerce'],
    from: live,
    fields: () => [{ name: 'topic', label: t('field.topic'), kind: 'text' }],
    body: (v) => ({ topic: textOf(v, 'topic') }),
  },
  {
    kind: 'closed',
    roles: ['market'],
    from: [
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
      'open',
      'suspended',
    ],
    fields: notes,
    body: notesBody,
  },
];

/** The steps this role may take on a station in this state, in lifecycle order. */
export function stepsFor(role: string, state: NetStationState): readonly StepSpec[] {
  return stepSpecs.filter((s) => s.roles.includes(role) && s.from.includes(state));
}

/** The optional reason every step records ('原因'): a field added to each step form. */
export const reasonField = (): FieldSpec => ({
  name: 'reason',
  label: t('field.reason'),
  kind: 'text',
  required: false,
});

/** A step's body with the optional reason. */
export function stepBody(spec: StepSpec, values: FormValues): Record<string, unknown> {
  const reason = textOf(values, 'reason');
  return { ...spec.body(values), ...(reason === '' ? {} : { reason }) };
}
