// What every dashboard page uses: the API call (session cookie, same origin: this script never sees
// the key), the report URL for the page's range, the totals, the hourly chart and small DOM helpers.
// Shared as window.Hookflow; the pages (overview.js, pages.js) and the router (app.js) use it.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  /** The range every page shows: the span chosen in the header up to now, set again by each load (see setRange). */
  const range = { since: '', until: '' };
  /** The numbers of a totals row, in the order shown. */
  const TOTALS = [
    ['sends', 'Sends'],
    ['delivered', 'Delivered'],
    ['failed', 'Failed'],
    ['errors', 'Errors'],
    ['retries', 'Retries'],
    ['uniqueRecipients', 'Unique recipients'],
    ['latencyMsP95', 'Latency p95 (ms)'],
  ];

  /** The classes `errors` breaks down into (they add up to it). */
  const ERROR_CLASSES = [
    ['errors4xx', '4xx'],
    ['errors5xx', '5xx'],
    ['errors408or429', '408/429'],
    ['errorsTimeout', 'timeout'],
    ['errorsNetwork', 'network'],
    ['errorsBlocked', 'blocked'],
    ['errorsRender', 'render'],
    ['errorsOther', 'other'],
  ];

  class Unauthorized extends Error {}
  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, options) {
    const res = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json' } }, options));
    if (res.status === 401) throw new Unauthorized();
    const body = res.status === 204 ? undefined : await res.json();
    if (!res.ok) throw new ApiError((body && body.message) || 'HTTP ' + res.status, res.status);
    return body;
  }

  /** The chosen span (hours) up to now; kept on <body> so a test can ask the API for the very same range. */
  function setRange() {
    const span = $('span');
    const until = new Date();
    const since = new Date(until.getTime() - Number(span.value) * 3600 * 1000);
    for (const el of document.querySelectorAll('.range-label')) el.textContent = span.selectedOptions[0].textContent;
    range.since = since.toISOString();
    range.until = until.toISOString();
    document.body.dataset.since = range.since;
    document.body.dataset.until = range.until;
    document.body.dataset.timezone = timezone;
    $('range').textContent = since.toLocaleString() + ' – ' + until.toLocaleString() + ' (' + timezone + ')';
  }

  function reportUrl(params) {
    const q = new URLSearchParams(Object.assign({ since: range.since, until: range.until, timezone: timezone }, params));
    return '/v1/reports?' + q.toString();
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function link(href, text) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    return a;
  }

  /** A number as shown: counts default to 0 (no row = nothing happened), latencies to a dash. */
  function shown(key, v) {
    return v === undefined || v === null ? (key.startsWith('latency') ? '–' : '0') : String(v);
  }

  /** Fills `dl` with the totals of `row` (one <dd data-key> per number). */
  function renderTotals(dl, row) {
    dl.replaceChildren();
    for (const [key, label] of TOTALS) {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.key = key;
      dd.textContent = shown(key, (row || {})[key]);
      div.append(dt, dd);
      dl.appendChild(div);
    }
    // The error classes with any errors, each a <span data-key>: "Errors by class: 4xx 3 5xx 1".
    const present = ERROR_CLASSES.filter(([key]) => row && row[key] > 0);
    const line = dl.parentElement.querySelector('.error-classes');
    line.hidden = present.length === 0;
    line.replaceChildren('Errors by class:');
    for (const [key, label] of present) {
      const span = document.createElement('span');
      span.dataset.key = key;
      span.textContent = label + ' ' + row[key];
      line.appendChild(span);
    }
  }

  // Every hour of the range, with zeros where the API has no row (it lists only hours with events).
  function hourly(rows) {
    const since = Date.parse(range.since) / 1000;
    const until = Date.parse(range.until) / 1000;
    const known = new Map(rows.map((r) => [Date.parse(r.bucket) / 1000, r]));
    // An hour start of the report's zone (from a row when there is one: zones may be off UTC by :30).
    const anchor = rows.length > 0 ? Date.parse(rows[0].bucket) / 1000 : Math.floor(since / 3600) * 3600;
    const out = [];
    for (let t = anchor - Math.ceil((anchor - since) / 3600) * 3600; t < until; t += 3600) {
      out.push(Object.assign({ sends: 0, delivered: 0, errors: 0 }, known.get(t), { t: t }));
    }
    return out;
  }

  const charts = new Map();
  /** Sends, delivered and errors per hour in `el` (one chart per element, replaced on reload). */
  function drawChart(el, apiRows) {
    const rows = hourly(apiRows);
    const data = [rows.map((r) => r.t), rows.map((r) => r.sends), rows.map((r) => r.delivered), rows.map((r) => r.errors)];
    const width = Math.max(400, Math.min(1100, document.body.clientWidth - 40));
    const opts = {
      width: width,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timezone),
      series: [{}, { label: 'Sends', stroke: '#2563eb', width: 2 }, { label: 'Delivered', stroke: '#16a34a', width: 2 }, { label: 'Errors', stroke: '#dc2626', width: 2 }],
      points: { show: true },
    };
    if (charts.has(el)) charts.get(el).destroy();
    charts.set(el, new uPlot(opts, data, el));
  }

  /** The totals, the hourly chart and the CSV link of one filtered report (`filter`: e.g. { campaign: id }). */
  async function loadReport(view, filter, csvParams) {
    const [total, perHour] = await Promise.all([api(reportUrl(Object.assign({ bucket: 'total' }, filter))), api(reportUrl(Object.assign({ bucket: 'hour' }, filter)))]);
    renderTotals(view.querySelector('.totals'), total.data[0]);
    drawChart(view.querySelector('.chart'), perHour.data);
    view.querySelector('a.csv').href = reportUrl(Object.assign({ bucket: 'hour', format: 'csv' }, filter, csvParams));
  }

  window.Hookflow = { $, api, Unauthorized, ApiError, range, setRange, reportUrl, cell, link, shown, renderTotals, drawChart, loadReport };
})();
