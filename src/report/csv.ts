/** A report as CSV (RFC 4180): a header row of the JSON keys, then one line per row; null is an empty cell. */
import type { Report } from './columns';

/**
 * Quotes when needed; a text cell that a spreadsheet would run as a formula (tag values and hosts
 * come from senders) gets a leading apostrophe, the usual CSV-injection guard.
 */
function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(report: Report): string {
  const lines = [report.columns.map(cell).join(',')];
  for (const row of report.data) lines.push(report.columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
