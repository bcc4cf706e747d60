// Finds secrets in log lines (R24): a full card number — 13 to 19 digits passing Luhn, with the
// ISO 7812 major-industry digit of a payment card (2-6), standing alone or in groups of four —
// or a PIN block — a value under a pin/pin-block field that is not the "[secret]"/"[redacted]"
// stand-in, or a raw 16-byte buffer. Digit runs glued to letters (hex digests, base64) and
// epoch-millisecond timestamps (they start with 1) are not card numbers.

import { luhnValid } from '@bianmin/wire';

/** The suite's log directory; .taprc `test-env` sets BIANMIN_LOG_DIR to this same path. */
export const suiteLogDir = '/tmp/bianmin-test-logs';

export interface Finding {
  readonly kind: 'pan' | 'pin-block';
  /** Where: the JSON key path, or "text" for a non-JSON line. */
  readonly where: string;
  /** The finding, masked: first 6 and last 4 digits only, so the report is no leak itself. */
  readonly masked: string;
}

const standAlone = /(?<![0-9A-Za-z])[2-6][0-9]{12,18}(?![0-9A-Za-z])/g;
const grouped = /(?<![0-9A-Za-z])[2-6][0-9]{3}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,3})?(?![0-9A-Za-z])/g;
const stand = new Set(['[secret]', '[redacted]', '[Redacted]']);
const pinKey = /^(pin|userPin|soPin|pinBlock|pin_block|pinBlockHex|encryptedPin|pinData)$/i;
const timeKey = /(^time$|^pid$|Ms$|At$|Ns$|Seq$|Count$|Bytes$|^seq$)/;

function mask(digits: string): string {
  return `${digits.slice(0, 6)}…${digits.slice(-4)}`;
}

export function findInText(text: string, where: string): Finding[] {
  const findings: Finding[] = [];
  for (const pattern of [standAlone, grouped]) {
    for (const match of text.matchAll(pattern)) {
      const digits = match[0].replace(/[ -]/g, '');
      if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) {
        findings.push({ kind: 'pan', where, masked: mask(digits) });
      }
    }
  }
  return findings;
}

function walk(value: unknown, path: string, key: string, findings: Finding[]): void {
  if (typeof value === 'string') {
    if (pinKey.test(key) && !stand.has(value) && value !== '') {
      findings.push({ kind: 'pin-block', where: path, masked: `${value.length} chars` });
    }
    findings.push(...findInText(value, path));
  } else if (typeof value === 'number') {
    if (!timeKey.test(key) && Number.isSafeInteger(value)) findings.push(...findInText(String(value), path));
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`, key, findings);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (record.type === 'Buffer' && Array.isArray(record.data) && record.data.length === 16) {
      findings.push({ kind: 'pin-block', where: path, masked: 'a raw 16-byte buffer' });
    }
    if (pinKey.test(key) && !Array.isArray(value)) {
      findings.push({ kind: 'pin-block', where: path, masked: 'an object' });
    }
    for (const [name, child] of Object.entries(record))
      walk(child, path === '' ? name : `${path}.${name}`, name, findings);
  }
}

/** Findings in one log line: JSON lines are walked field by field, other lines scanned as text. */
export function scanLine(line: string): Finding[] {
  const trimmed = line.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('{')) {
    try {
      const findings: Finding[] = [];
      walk(JSON.parse(trimmed), '', '', findings);
      return findings;
    } catch {
      // not JSON after all: scan as text
    }
  }
  return findInText(trimmed, 'text');
}
