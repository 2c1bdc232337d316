/** The report's CSV: quoting per RFC 4180 and the formula guard for sender-chosen text. */
import type { ReportRow } from '../../src/report/columns';
import { reportCsv } from '../../src/report/csv';

const csv = (columns: string[], data: Array<Record<string, string | number | null>>): string =>
  reportCsv({ columns, data: data as ReportRow[] });

test('a header row of the keys, then one line per row; null is an empty cell', () => {
  expect(csv(['host', 'sends', 'latencyMsP50'], [{ host: 'a.test', sends: 3, latencyMsP50: null }])).toBe('host,sends,latencyMsP50\r\na.test,3,\r\n');
});

test('commas, quotes and line breaks are quoted; quotes doubled', () => {
  expect(csv(['tag.x'], [{ 'tag.x': 'a,b' }, { 'tag.x': 'say "hi"' }, { 'tag.x': 'two\nlines' }])).toBe('tag.x\r\n"a,b"\r\n"say ""hi"""\r\n"two\nlines"\r\n');
});

test.each(['=1+1', '+1', '-1', '@SUM(A1)', '=HYPERLINK("http://x")'])('a text cell %s cannot run as a spreadsheet formula', (value) => {
  const line = csv(['tag.x'], [{ 'tag.x': value }]).split('\r\n')[1];
  expect(line.replace(/^"|"$/g, '').replace(/""/g, '"')).toBe(`'${value}`);
});

test('numbers are written as they are, negative ones included', () => {
  expect(csv(['n'], [{ n: -1 }, { n: 0 }])).toBe('n\r\n-1\r\n0\r\n');
});
