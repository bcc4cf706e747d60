// CSV export for every table in the console (issue 12): UTF-8 with a byte-order mark so Excel
// opens the Chinese headers, RFC 4180 quoting, CRLF line ends. A cell that starts with = + - @
// (or a tab / carriage return) is prefixed with an apostrophe: a station name or complaint text
// must never run as a spreadsheet formula on an HQ desk (CSV injection).

export const csvByteOrderMark = '\uFEFF';

function cellText(value: string | number): string {
  let text = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole file: BOM, header line, one line per row; every row as long as the header. */
export function toCsv(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string {
  if (headers.length === 0) throw new RangeError('toCsv: a table has at least one column');
  const lines = [headers.map(cellText).join(',')];
  for (const [index, row] of rows.entries()) {
    if (row.length !== headers.length) {
      throw new RangeError(`toCsv: row ${index} has ${row.length} cells, the header ${headers.length}`);
    }
    lines.push(row.map(cellText).join(','));
  }
  return `${csvByteOrderMark}${lines.join('\r\n')}\r\n`;
}
