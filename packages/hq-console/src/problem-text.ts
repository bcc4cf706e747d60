// A refusal from the HQ API (problem+json, every reason at once, R21) as HQ's people read it: each
// problem in zh-CN (the catalogue's 'problem.<CODE>' text, filled from its details: R12 names the
// site and its distance), and the form field it belongs to, so a form shows every problem next to
// its field. A code the catalogue lacks is shown as such, with the server's text and the code.
import { ApiError, type Problem } from './api.js';
import { t, tDynamic } from './i18n/messages.js';

/** The zh-CN text of one problem. */
export function problemText(problem: Problem): string {
  const details = problem.details ?? {};
  if (problem.code === 'HQ_NET_TOO_CLOSE') {
    const kind = details.kind === 'branch' ? t('problem.site.branch') : t('problem.site.station');
    const distance = typeof details.distanceM === 'number' ? details.distanceM.toLocaleString('en-US') : '?';
    return t('problem.HQ_NET_TOO_CLOSE', { kind, id: String(details.id ?? ''), distance });
  }
  if (problem.code === 'HQ_COMMISSION_STATISTICS_LATE')
    return t('problem.HQ_COMMISSION_STATISTICS_LATE', { branchId: String(details.branchId ?? '?') });
  if (problem.code === 'HQ_NET_DOCUMENTS_MISSING') {
    const document = /lacks the (\S+)/.exec(problem.message)?.[1];
    const name = document === undefined ? '' : tDynamic(`field.doc.${document}`);
    return document === undefined
      ? t('problem.HQ_NET_DOCUMENTS_MISSING')
      : `${t('problem.HQ_NET_DOCUMENTS_MISSING')}:缺${name}`;
  }
  const key = `problem.${problem.code}`;
  const text = tDynamic(key);
  return text === key ? t('problem.uncatalogued', { message: problem.message }) : text;
}

/**
 * A problem as a form's summary and field show it: the zh-CN text and the stable code, which a
 * person quotes to the help desk and finds in docs/errors.md ('...(R12)(错误代码 HQ_NET_TOO_CLOSE)').
 */
export function problemLine(problem: Problem): string {
  return t('problem.line', { text: problemText(problem), code: problem.code });
}

/**
 * Any failure a page shows (a read that failed, an acknowledgement refused) as one zh-CN line per
 * problem with its code. A failure that never reached the server (no network) has no code: its
 * own catalogue text, never the browser's English.
 */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const problems =
      error.problems.length > 0 ? error.problems : [{ code: error.code, message: error.message }];
    return problems.map(problemLine).join(';');
  }
  return t('problem.unreachable');
}

/**
 * The form field a server problem names: its field path ('body.findings.premisesM2', 'location',
 * 'stationId') read from the most specific segment back, matched against the form's field names
 * and the server names each field answers for. undefined: the problem goes to the summary only.
 */
export function formFieldOf(
  serverField: string | undefined,
  fields: ReadonlyArray<{ readonly name: string; readonly serverFields?: readonly string[] }>,
): string | undefined {
  if (serverField === undefined) return undefined;
  const segments = serverField.split('.').filter((s) => s !== '' && s !== 'body');
  for (const segment of segments.reverse()) {
    const field = fields.find((f) => f.name === segment || f.serverFields?.includes(segment) === true);
    if (field !== undefined) return field.name;
  }
  return undefined;
}

/**
 * The lines of a refusal that was recorded all the same (a failed survey rejects the station, R22):
 * the page must read the record again and keep these lines, since the form goes with the old
 * state. undefined: an ordinary refusal (nothing written), shown by the form itself.
 */
export function recordedRefusalLines(problems: readonly Problem[]): string[] | undefined {
  return problems.some((p) => p.code === 'HQ_NET_SURVEY_FAILED_RECORDED')
    ? problems.map(problemLine)
    : undefined;
}
