/** A report as CSV (RFC 4180): a header row of the JSON keys, then one line per row; null is an empty cell. */
import type { Report } from './columns';

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: Report): string {
  const lines = [report.columns.map(cell).join(',')];
  for (const row of report.data) lines.push(report.columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
