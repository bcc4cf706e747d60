// Every table in the console: a caption, column headers, rows, an optional pager (the server pages)
// and an "导出 CSV" button that exports what the table shows, as the person reads it (yuan, Beijing
// time, zh-CN states), in an Excel-ready file (csv.ts).
import type { ReactNode } from 'react';
import { toCsv } from '../csv.js';
import { formatCount } from '../format.js';
import { t } from '../i18n/messages.js';
import { downloadText } from './download.js';

export interface Column<Row> {
  readonly title: string;
  /** What the CSV cell holds (and the table shows, unless `render` is given). */
  readonly text: (row: Row) => string | number;
  readonly render?: (row: Row) => ReactNode;
  readonly numeric?: boolean;
}

export interface Pager {
  readonly offset: number;
  readonly limit: number;
  readonly total: number;
  readonly onOffset: (offset: number) => void;
}

export function DataTable<Row>(props: {
  readonly caption: string;
  readonly columns: ReadonlyArray<Column<Row>>;
  readonly rows: readonly Row[];
  readonly rowKey: (row: Row) => string;
  readonly csvName: string;
  /** All rows for the CSV when the table shows one page (the server's full list). */
  readonly csvRows?: () => Promise<readonly Row[]>;
  readonly pager?: Pager;
}): ReactNode {
  const { caption, columns, rows, rowKey, csvName, csvRows, pager } = props;
  const exportCsv = async (): Promise<void> => {
    const all = csvRows === undefined ? rows : await csvRows();
    const text = toCsv(
      columns.map((c) => c.title),
      all.map((row) => columns.map((c) => c.text(row))),
    );
    downloadText(csvName, text);
  };
  const pages = pager === undefined ? 1 : Math.max(1, Math.ceil(pager.total / pager.limit));
  const page = pager === undefined ? 1 : Math.floor(pager.offset / pager.limit) + 1;
  return (
    <section className="table-block">
      <div className="table-tools">
        <h2 className="table-caption">{caption}</h2>
        <button type="button" onClick={() => void exportCsv()}>
          {t('table.export')}
        </button>
      </div>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.title} scope="col" className={c.numeric === true ? 'num' : undefined}>
                  {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length}>{t('table.empty')}</td>
              </tr>
            ) : (
              rows.map((row) => (
                <tr key={rowKey(row)}>
                  {columns.map((c) => (
                    <td key={c.title} className={c.numeric === true ? 'num' : undefined}>
                      {c.render === undefined ? c.text(row) : c.render(row)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {pager === undefined ? null : (
        <nav className="pager" aria-label={caption}>
          <button
            type="button"
            disabled={pager.offset === 0}
            onClick={() => pager.onOffset(Math.max(0, pager.offset - pager.limit))}
          >
            {t('table.prev')}
          </button>
          <span aria-live="polite">
            {t('table.page', {
              page: formatCount(page),
              pages: formatCount(pages),
              total: formatCount(pager.total),
            })}
          </span>
          <button
            type="button"
            disabled={pager.offset + pager.limit >= pager.total}
            onClick={() => pager.onOffset(pager.offset + pager.limit)}
          >
            {t('table.next')}
          </button>
        </nav>
      )}
    </section>
  );
}
