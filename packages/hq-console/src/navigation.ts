// Which pages each HQ role sees (issue 12). The server enforces the same least privilege per
// route (packages/hq-gateway/src/adapters/http/*-routes.ts); this list only keeps a person from
// being shown a page whose data their role may not read.
import type { MessageKey } from './i18n/messages.js';

export const roleNames = [
  'branch',
  'market',
  'ecommerce',
  'agency_finance',
  'supervision',
  'finance',
  'admin',
] as const;
export type RoleName = (typeof roleNames)[number];

export type PageId =
  | 'overview'
  | 'stations'
  | 'network'
  | 'inspections'
  | 'followups'
  | 'repairs'
  | 'complaints'
  | 'alerts'
  | 'quota'
  | 'daily'
  | 'commissions'
  | 'audit';

export const pageIds: readonly PageId[] = [
  'overview',
  'stations',
  'network',
  'inspections',
  'followups',
  'repairs',
  'complaints',
  'alerts',
  'quota',
  'daily',
  'commissions',
  'audit',
];

export const pageTitles: Readonly<Record<PageId, MessageKey>> = {
  overview: 'nav.overview',
  stations: 'nav.stations',
  network: 'nav.network',
  inspections: 'nav.inspections',
  followups: 'nav.followups',
  repairs: 'nav.repairs',
  complaints: 'nav.complaints',
  alerts: 'nav.alerts',
  quota: 'nav.quota',
  daily: 'nav.daily',
  commissions: 'nav.commissions',
  audit: 'nav.audit',
};

// A page is on a role's menu when the role may read its data or take one of its steps, as the
// gateway's role matrix declares (adapters/http/*-routes.ts; test/http-roles.test.ts):
// 网点发展 and the due list: every role reads them; 巡检 (inspection-recorded): market, supervision;
// 回访 (phone follow-up: market, supervision; opening follow-up visit: ecommerce); 维修 (GET
// repairs): branch, market, ecommerce, supervision; 投诉 (GET: market, supervision; a branch
// receives one: the form only); 佣金 (GET a run): ecommerce, finance, market, supervision.
const pagesOfRole: Readonly<Record<RoleName, readonly PageId[]>> = {
  branch: ['overview', 'stations', 'network', 'repairs', 'complaints', 'alerts', 'daily'],
  market: [
    'overview',
    'stations',
    'network',
    'inspections',
    'followups',
    'repairs',
    'complaints',
    'alerts',
    'daily',
    'commissions',
  ],
  ecommerce: [
    'overview',
    'stations',
    'network',
    'followups',
    'repairs',
    'alerts',
    'quota',
    'daily',
    'commissions',
  ],
  agency_finance: ['overview', 'stations', 'network', 'alerts', 'daily'],
  supervision: [
    'overview',
    'stations',
    'network',
    'inspections',
    'followups',
    'repairs',
    'complaints',
    'alerts',
    'daily',
    'commissions',
    'audit',
  ],
  finance: ['overview', 'stations', 'network', 'alerts', 'daily', 'commissions'],
  admin: ['overview', 'stations', 'network', 'alerts'],
};

export function isRoleName(value: string): value is RoleName {
  return (roleNames as readonly string[]).includes(value);
}

/** The pages a role sees, in menu order; an unknown role sees none. */
export function pagesOf(role: string): readonly PageId[] {
  return isRoleName(role) ? pagesOfRole[role] : [];
}

/** May this role acknowledge alerts (the API allows branch, market and supervision)? */
export function mayAcknowledge(role: string): boolean {
  return role === 'branch' || role === 'market' || role === 'supervision';
}

/** May this role assign alerts (market, supervision)? */
export function mayAssignAlerts(role: string): boolean {
  return role === 'market' || role === 'supervision';
}

/** May this role close alerts (as acknowledge: branch for its own stations, market, supervision)? */
export function mayCloseAlerts(role: string): boolean {
  return mayAcknowledge(role);
}
