// The network's monthly and yearly work on the HTTP API (issue 11): the branches' development
// statistics (R16, due by the 5th), the commission month (R10/R11: run → listed to finance →
// invoice received → paid; a re-run is idempotent and a correction is a new line), the overdue
// list per department, and the yearly archive (R17, JSON lines, audited: it holds the
// complainants). Reports as JSON (fen) or CSV for people (zh-CN, yuan, UTF-8 with BOM).
import { archiveYear } from '../../app/network/archive.js';
import {
  allStatistics,
  commissionRunView,
  commissionStep,
  runCommission,
  submitStatistics,
} from '../../app/network/commissions.js';
import { dueItems, overdue } from '../../app/network/overdue.js';
import { stationView } from '../../app/network/stations.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { DEPARTMENTS } from '../../domain/network/due-items.js';
import { commissionCsv, statisticsCsv } from '../../domain/network-report-csv.js';
import type { Actor, Role } from '../../domain/roles.js';
import { HqError } from '../../errors.js';
import type { ApiDeps } from './deps.js';
import {
  dateSchema,
  fenSchema,
  idempotencyHeaders,
  monthSchema,
  netActor,
  netIdSchema,
  netNotFound,
  ownBranch,
  stepBody,
  stepInput,
  stepOptions,
  unwrapStep,
} from './network-common.js';
import { type ApiRoute, strictObject } from './route.js';

const monthParams = strictObject({ month: monthSchema }, ['month']);
const formatQuery = { format: { type: 'string', enum: ['json', 'csv'], default: 'json' } } as const;
const csvType = 'text/csv; charset=utf-8';

/**
 * R11: a branch pays the lines paid through the branch, for its own stations only (finance pays
 * the rest, R10). Anything else is refused before the app layer decides.
 */
async function assertBranchPayment(deps: ApiDeps, actor: Actor, body: unknown): Promise<void> {
  const { stationId, paidThrough } = body as { stationId: string; paidThrough?: string };
  if (paidThrough !== 'BRANCH') {
    const message = 'a branch pays R11 lines only (paidThrough BRANCH)';
    throw new HqError('HQ_FORBIDDEN', message, {
      problems: [{ code: 'HQ_FORBIDDEN', field: 'paidThrough', message }],
    });
  }
  const view = await stationView(deps.network, stationId);
  const branchId = view?.branchId ?? (await deps.ops.stationBranches()).get(stationId) ?? '';
  if (!ownBranch(actor, branchId)) throw netNotFound(`station ${stationId} of your branch`, 'stationId');
}

function commissionStepRoute(
  deps: ApiDeps,
  url: string,
  kind: 'commission-listed' | 'commission-invoice-received' | 'commission-paid',
  roles: readonly Role[],
  summary: string,
  body: object,
): ApiRoute {
  return {
    method: 'POST',
    url,
    roles,
    summary,
    tags: ['commissions'],
    schema: { params: monthParams, body, headers: idempotencyHeaders },
    async handler(request, _reply, actor) {
      const { month } = request.params as { month: string };
      if (actor.role === 'branch') await assertBranchPayment(deps, actor, request.body);
      const done = unwrapStep(
        await commissionStep(
          deps.network,
          netActor(actor),
          month,
          kind,
          stepInput(request),
          stepOptions(request),
        ),
      );
      if (!done.duplicate) await deps.audit.record(actor, `network.${kind}`, month, stepInput(request));
      return { run: done.view, record: done.record, duplicate: done.duplicate };
    },
  };
}

export function networkMonthRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/network/overdue',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary:
        'overdue steps per department (lifecycle, R18 oversight, repairs, complaints, R16, commissions); all=true: every open step with its due date',
      tags: ['network'],
      schema: {
        querystring: strictObject({
          date: dateSchema,
          department: { type: 'string', enum: [...DEPARTMENTS] },
          all: { type: 'boolean', default: false },
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as { date?: string; department?: string; all: boolean };
        const date = q.date ?? shanghaiDate(deps.clock.nowMs());
        if (q.all) {
          const due = await dueItems(deps.network, netActor(actor), date);
          return {
            date,
            due: due.filter((i) => q.department === undefined || i.department === q.department),
          };
        }
        const groups = await overdue(deps.network, netActor(actor), date);
        const overdueItems =
          q.department === undefined
            ? groups
            : { [q.department]: groups[q.department as keyof typeof groups] ?? [] };
        return { date, overdue: overdueItems };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/statistics/:branchId',
      roles: ['branch', 'market'],
      summary: "R16 a branch's monthly development statistics (due by the 5th of the next month)",
      tags: ['statistics'],
      schema: {
        params: strictObject({ branchId: netIdSchema }, ['branchId']),
        body: stepBody(
          {
            month: monthSchema,
            stationsOpened: { type: 'integer', minimum: 0, maximum: 100_000 },
            stationsClosed: { type: 'integer', minimum: 0, maximum: 100_000 },
            lines: {
              type: 'array',
              maxItems: 10_000,
              items: strictObject(
                {
                  stationId: netIdSchema,
                  businessType: { type: 'string', enum: ['INSURANCE', 'DISTRIBUTION'] },
                  revenueFen: fenSchema,
                },
                ['stationId', 'businessType', 'revenueFen'],
              ),
            },
          },
          ['month', 'stationsOpened', 'stationsClosed', 'lines'],
        ),
        headers: idempotencyHeaders,
      },
      async handler(request, reply, actor) {
        const { branchId } = request.params as { branchId: string };
        // A branch user reports for its own branch; another branch is not found (not leaked).
        if (!ownBranch(actor, branchId)) throw netNotFound(`branch ${branchId}`, 'branchId');
        const done = unwrapStep(
          await submitStatistics(
            deps.network,
            netActor(actor),
            branchId,
            stepInput(request),
            stepOptions(request),
          ),
        );
        if (!done.duplicate)
          await deps.audit.record(actor, 'network.statistics-submitted', branchId, {
            month: (request.body as { month: string }).month,
          });
        reply.code(done.duplicate ? 200 : 201);
        return { statistics: done.view, record: done.record, duplicate: done.duplicate };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/network/statistics',
      roles: ['branch', 'market', 'ecommerce', 'supervision', 'finance'],
      summary: 'R16 monthly development statistics per branch: JSON, or CSV (zh-CN, yuan) with format=csv',
      tags: ['statistics', 'reports'],
      schema: { querystring: strictObject({ month: monthSchema, ...formatQuery }) },
      async handler(request, reply, actor) {
        const q = request.query as { month?: string; format: 'json' | 'csv' };
        const items = (await allStatistics(deps.network))
          .filter((s) => ownBranch(actor, s.branchId))
          .filter((s) => q.month === undefined || s.month === q.month)
          .sort((a, b) => a.month.localeCompare(b.month) || a.branchId.localeCompare(b.branchId));
        if (q.format === 'json') return { items };
        reply
          .header('content-type', csvType)
          .header('content-disposition', `attachment; filename="statistics-${q.month ?? 'all'}.csv"`);
        return statisticsCsv(items, deps.clock.nowMs());
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/commissions/:month/run',
      roles: ['ecommerce'],
      summary:
        "R10/R11 run (or re-run) a month's commission: idempotent; a changed figure is a correction line, never an edit",
      tags: ['commissions'],
      schema: { params: monthParams },
      async handler(request, reply, actor) {
        const { month } = request.params as { month: string };
        const answer = unwrapStep(await runCommission(deps.network, netActor(actor), month));
        if (answer.outcome !== 'unchanged')
          await deps.audit.record(actor, 'network.commission-run', month, {
            outcome: answer.outcome,
            version: answer.view.version,
          });
        reply.code(answer.outcome === 'recorded' ? 201 : 200);
        return { outcome: answer.outcome, run: answer.view, warnings: answer.warnings };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/network/commissions/:month',
      roles: ['ecommerce', 'finance', 'market', 'supervision'],
      summary:
        "R10/R11 a month's commission list: lines, corrections, each station's net and payments; CSV (zh-CN, yuan) with format=csv",
      tags: ['commissions', 'reports'],
      schema: { params: monthParams, querystring: strictObject({ ...formatQuery }) },
      async handler(request, reply) {
        const { month } = request.params as { month: string };
        const { format } = request.query as { format: 'json' | 'csv' };
        const view = await commissionRunView(deps.network, month);
        if (view === undefined) throw netNotFound(`commission run for ${month}`, 'month');
        if (format === 'json') return view;
        reply
          .header('content-type', csvType)
          .header('content-disposition', `attachment; filename="commission-${month}.csv"`);
        return commissionCsv(view, deps.clock.nowMs());
      },
    },
    commissionStepRoute(
      deps,
      '/api/v1/network/commissions/:month/listed',
      'commission-listed',
      ['ecommerce'],
      'R10 the list goes to finance (due before the 15th)',
      stepBody({}),
    ),
    commissionStepRoute(
      deps,
      '/api/v1/network/commissions/:month/invoices',
      'commission-invoice-received',
      ['ecommerce'],
      "R10 a station's invoice received (needed before paying)",
      stepBody({ stationId: netIdSchema, paidThrough: { type: 'string', enum: ['HQ', 'BRANCH'] } }, [
        'stationId',
      ]),
    ),
    commissionStepRoute(
      deps,
      '/api/v1/network/commissions/:month/payments',
      'commission-paid',
      ['finance', 'branch'],
      "R10/R11 a station's after-tax commission paid (before the 20th)",
      stepBody({ stationId: netIdSchema, paidThrough: { type: 'string', enum: ['HQ', 'BRANCH'] } }, [
        'stationId',
      ]),
    ),
    {
      method: 'GET',
      url: '/api/v1/network/archive/:year',
      roles: ['supervision'],
      summary:
        'R17 every operation record of an Asia/Shanghai year as JSON lines (confidential data included; the read is audited)',
      tags: ['archive'],
      schema: { params: strictObject({ year: { type: 'integer', minimum: 2000, maximum: 9998 } }, ['year']) },
      async handler(request, reply, actor) {
        const { year } = request.params as { year: number };
        const lines: string[] = [];
        for await (const line of archiveYear(deps.network, year)) lines.push(line);
        await deps.audit.record(actor, 'archive.export', String(year), { records: lines.length });
        reply
          .header('content-type', 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="archive-${year}.jsonl"`);
        return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
      },
    },
  ];
}
