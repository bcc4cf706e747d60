// Every problem of a refused form at once (R21, 一次性告知): a summary at the top that a screen
// reader announces, and each field's own message next to it (FieldError).
import type { ReactNode } from 'react';
import { t } from '../i18n/messages.js';

export function ProblemSummary(props: { readonly problems: readonly string[] }): ReactNode {
  if (props.problems.length === 0) return null;
  return (
    <div className="problems" role="alert">
      <p>{t('form.problems')}</p>
      <ul>
        {props.problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

export function FieldError(props: { readonly id: string; readonly message: string | undefined }): ReactNode {
  if (props.message === undefined) return null;
  return (
    <p className="field-error" id={props.id}>
      {props.message}
    </p>
  );
}
