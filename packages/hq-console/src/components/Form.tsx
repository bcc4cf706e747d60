// One form for every step the console sends (网点发展, 巡检, 回访, 维修, 投诉, 佣金, 告警): fields
// declared as data, each with its label, checked in the browser first and then by the server; a
// refusal lists every problem at once (R21) in a summary a screen reader announces, and each
// problem also next to its own field (aria-invalid, aria-describedby). Keyboard: native inputs in
// order, the submit button last; focus moves to the summary when the form is refused.
import { type FormEvent, type ReactNode, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { parseYuanToFen } from '../format.js';
import { t } from '../i18n/messages.js';
import { formFieldOf, problemLine } from '../problem-text.js';

export type FieldValue = string | boolean | readonly string[];
export type FormValues = Readonly<Record<string, FieldValue>>;

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: 'text' | 'textarea' | 'number' | 'integer' | 'yuan' | 'select' | 'checkbox' | 'checkboxes';
  readonly options?: ReadonlyArray<{ readonly value: string; readonly label: string }>;
  /** Default true for text-like fields; a checkbox is never required. */
  readonly required?: boolean;
  /** 'id': 1..32 of [A-Za-z0-9_-] (the API's id pattern). */
  readonly pattern?: 'id';
  readonly hint?: string;
  /** Server field names (a path's segment) whose problems show at this field. */
  readonly serverFields?: readonly string[];
  readonly initial?: FieldValue;
}

const idPattern = /^[A-Za-z0-9_-]{1,32}$/;

function initialOf(field: FieldSpec): FieldValue {
  if (field.initial !== undefined) return field.initial;
  if (field.kind === 'checkbox') return false;
  if (field.kind === 'checkboxes') return [];
  if (field.kind === 'select') return field.options?.[0]?.value ?? '';
  return '';
}

/** Every problem the browser can see before sending, per field (R21: all at once). */
export function clientProblems(fields: readonly FieldSpec[], values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (typeof value !== 'string') continue;
    const text = value.trim();
    if (text === '') {
      if (field.required !== false) problems[field.name] = t('form.required');
      continue;
    }
    if (field.pattern === 'id' && !idPattern.test(text)) problems[field.name] = t('form.id');
    if ((field.kind === 'number' || field.kind === 'integer') && !/^-?\d+(\.\d+)?$/.test(text))
      problems[field.name] = t('form.number');
    else if (field.kind === 'integer' && !/^\d+$/.test(text)) problems[field.name] = t('form.number');
    if (field.kind === 'yuan' && parseYuanToFen(text) === null) problems[field.name] = t('quota.bad.amount');
  }
  return problems;
}

export interface FormProps {
  /** Unique on the page: the prefix of every element id. */
  readonly id: string;
  readonly title: string;
  readonly fields: readonly FieldSpec[];
  readonly submitLabel: string;
  /** Checks beyond each field's own (e.g. R23 written answer), per field name. */
  readonly check?: (values: FormValues) => Record<string, string>;
  /** Sends the form; returns the success text shown in the status line. */
  readonly send: (values: FormValues) => Promise<string>;
  readonly onDone?: () => void;
  /** Called with a server refusal after it is shown (a refusal may still change the record). */
  readonly onRefused?: (error: ApiError) => void;
}

export function Form(props: FormProps): ReactNode {
  const { id, fields } = props;
  const [values, setValues] = useState<FormValues>(() =>
    Object.fromEntries(fields.map((f) => [f.name, initialOf(f)])),
  );
  const [problems, setProblems] = useState<Record<string, string[]>>({});
  const [other, setOther] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const refuse = (byField: Record<string, string[]>, rest: string[]): void => {
    setProblems(byField);
    setOther(rest);
    window.setTimeout(() => summary.current?.focus(), 0);
  };
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setDone(null);
    const found = { ...clientProblems(fields, values), ...(props.check?.(values) ?? {}) };
    if (Object.keys(found).length > 0) {
      refuse(Object.fromEntries(Object.entries(found).map(([k, v]) => [k, [v]])), []);
      return;
    }
    setBusy(true);
    try {
      const text = await props.send(values);
      setProblems({});
      setOther([]);
      setDone(text);
      props.onDone?.();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const byField: Record<string, string[]> = {};
      const rest: string[] = [];
      const list =
        error.problems.length > 0 ? error.problems : [{ code: error.code, message: error.message }];
      for (const problem of list) {
        const text = problemLine(problem);
        const field = formFieldOf(problem.field, fields);
        if (field === undefined) rest.push(text);
        else byField[field] = [...(byField[field] ?? []), text];
      }
      refuse(byField, rest);
      props.onRefused?.(error);
    } finally {
      setBusy(false);
    }
  };
  const labelOf = (name: string): string => fields.find((f) => f.name === name)?.label ?? name;
  const summaryLines = [
    ...Object.entries(problems).flatMap(([name, list]) =>
      list.map((message) => t('form.fieldProblem', { label: labelOf(name), message })),
    ),
    ...other,
  ];
  const set = (name: string, value: FieldValue): void => setValues({ ...values, [name]: value });
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{props.title}</h2>
      {summaryLines.length === 0 ? null : (
        <div className="problems" role="alert" tabIndex={-1} ref={summary} data-testid={`${id}-problems`}>
          <p>{t('form.problems')}</p>
          <ul>
            {[...new Set(summaryLines)].map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      {fields.map((field) => (
        <FormField
          key={field.name}
          formId={id}
          field={field}
          value={values[field.name] ?? initialOf(field)}
          problems={problems[field.name]}
          onChange={(value) => set(field.name, value)}
        />
      ))}
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
      {done === null ? null : (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </form>
  );
}

function FormField(props: {
  readonly formId: string;
  readonly field: FieldSpec;
  readonly value: FieldValue;
  readonly problems: readonly string[] | undefined;
  readonly onChange: (value: FieldValue) => void;
}): ReactNode {
  const { formId, field, value, problems, onChange } = props;
  const inputId = `${formId}-${field.name}`;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const invalid = problems !== undefined && problems.length > 0;
  const describedBy = [invalid ? errorId : '', field.hint === undefined ? '' : hintId]
    .filter(Boolean)
    .join(' ');
  const common = {
    id: inputId,
    name: field.name,
    'aria-invalid': invalid,
    ...(describedBy === '' ? {} : { 'aria-describedby': describedBy }),
  };
  let control: ReactNode;
  if (field.kind === 'checkbox') {
    control = (
      <label className="check">
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />{' '}
        {field.label}
      </label>
    );
  } else if (field.kind === 'checkboxes') {
    const chosen = Array.isArray(value) ? (value as readonly string[]) : [];
    control = (
      <fieldset aria-invalid={invalid} {...(describedBy === '' ? {} : { 'aria-describedby': describedBy })}>
        <legend>{field.label}</legend>
        {(field.options ?? []).map((option) => (
          <label key={option.value} className="check">
            <input
              type="checkbox"
              id={`${inputId}-${option.value}`}
              checked={chosen.includes(option.value)}
              onChange={(e) =>
                onChange(
                  e.target.checked ? [...chosen, option.value] : chosen.filter((v) => v !== option.value),
                )
              }
            />{' '}
            {option.label}
          </label>
        ))}
      </fieldset>
    );
  } else {
    const label = <label htmlFor={inputId}>{field.label}</label>;
    const text = typeof value === 'string' ? value : '';
    const input =
      field.kind === 'select' ? (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? []).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      ) : field.kind === 'textarea' ? (
        <textarea
          {...common}
          value={text}
          rows={3}
          maxLength={500}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <input
          {...common}
          value={text}
          inputMode={field.kind === 'text' ? undefined : 'decimal'}
          maxLength={field.kind === 'text' ? 500 : 32}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    control = (
      <>
        {label}
        {input}
      </>
    );
  }
  return (
    <div className={`field${invalid ? ' invalid' : ''}`}>
      {control}
      {field.hint === undefined ? null : (
        <p className="hint" id={hintId}>
          {field.hint}
        </p>
      )}
      {invalid ? (
        <p className="field-error" id={errorId}>
          {problems.join(';')}
        </p>
      ) : null}
    </div>
  );
}

/** A form value as text ('' when not text). */
export function textOf(values: FormValues, name: string): string {
  const value = values[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A number field (checked by clientProblems before sending) as a number. */
export function numberOf(values: FormValues, name: string): number {
  const value = Number(textOf(values, name));
  if (!Number.isFinite(value)) throw new RangeError(`${name}: checked as a number before sending`);
  return value;
}
