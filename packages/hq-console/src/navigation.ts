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

export type PageId = 'overview' | 'stations' | 'alerts' | 'quota' | 'daily' | 'audit';

export const pageTitles: Readonly<Record<PageId, MessageKey>> = {
  overview: 'nav.overview',
  stations: 'nav.stations',
  alerts: 'nav.alerts',
  quota: 'nav.quota',
  daily: 'nav.daily',
  audit: 'nav.audit',
};

const pagesOfRole: Readonly<Record<RoleName, readonly PageId[]>> = {
  branch: ['overview', 'stations', 'alerts', 'daily'],
  market: ['overview', 'stations', 'alerts', 'daily'],
  ecommerce: ['overview', 'stations', 'alerts', 'quota', 'daily'],
  agency_finance: ['overview', 'stations', 'alerts', 'daily'],
  supervision: ['overview', 'stations', 'alerts', 'daily', 'audit'],
  finance: ['overview', 'stations', 'alerts', 'daily'],
  admin: ['overview', 'stations', 'alerts'],
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
