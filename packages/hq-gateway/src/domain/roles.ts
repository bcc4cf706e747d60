// HQ's departments as API roles (DOMAIN.md "Who is involved") and what each may see: a branch
// office sees only its own stations; every other role sees the whole network. Which role may use
// which route is declared next to the route (adapters/http/*-routes.ts); this file holds the role
// names and the branch rule, one home each.
import { assert } from './assert.js';

export const roles = [
  'branch', // 支局: proposes stations in its area; sees only its own
  'market', // 市场部: owns the station network (enrol, suspend, resume, revoke)
  'ecommerce', // 电子商务中心: quota accounts, reconciliation, commissions
  'agency_finance', // 代理金融: cash withdrawal
  'supervision', // 监督检查部: audit log, complaints, inspections
  'finance', // 财务
  'admin', // system administrator: users
] as const;

export type Role = (typeof roles)[number];

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Who is acting: the user's name, role and (for a branch office) its branch id. */
export interface Actor {
  readonly userName: string;
  readonly role: Role;
  /** The branch a 'branch' user belongs to; null for every other role. */
  readonly branchId: string | null;
}

/** May this actor see (or act on) a station of this branch? Branch users: their own only. */
export function seesBranch(actor: Actor, stationBranchId: string | null): boolean {
  if (actor.role !== 'branch') return true;
  assert(actor.branchId === null || actor.branchId.length > 0, 'seesBranch: a branch id is never empty');
  return actor.branchId !== null && stationBranchId === actor.branchId;
}
