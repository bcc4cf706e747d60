// Formatting for people: money in yuan (¥1,234.50) from integer fen (R1: fen everywhere else) and
// plain-text tables for the demo's summary.

/** ¥1,234.50 from 123450 fen; negative amounts as -¥12.00. */
export function yuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new Error('assert: money is an integer number of fen (R1)');
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100).toString().padStart(2, '0');
  return `${sign}¥${whole}.${cents}`;
}

/** Columns a terminal gives `text`: CJK characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text)
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(
        char,
      )
        ? 2
        : 1;
  return width;
}

function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** A left/right aligned text table; numbers and money columns are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column] ?? ''))),
  );
  const rightAligned = (text: string) => /^-?[¥\d]/.test(text) && !/[a-z]/i.test(text.replace('¥', ''));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => pad(cell, widths[column] ?? 0, rightAligned(cell)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
