// The dashboard's script: reads the API with the session cookie (same origin, HttpOnly: this
// script never sees the key), and shows a login form when the API answers 401.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  let chart;

  class Unauthorized extends Error {}

  async function api(path, options) {
    const res = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json' } }, options));
    if (res.status === 401) throw new Unauthorized();
    const body = res.status === 204 ? undefined : await res.json();
    if (!res.ok) throw new Error((body && body.message) || 'HTTP ' + res.status);
    return body;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function showLogin() {
    $('overview').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
  }

  function reportUrl(params) {
    const q = new URLSearchParams(Object.assign({ since: window.range.since, until: window.range.until, timezone: timezone }, params));
    return '/v1/reports?' + q.toString();
  }

  // Every hour of the range, with zeros where the API has no row (it lists only hours with events).
  function hourly(rows) {
    const since = Date.parse(window.range.since) / 1000;
    const until = Date.parse(window.range.until) / 1000;
    const known = new Map(rows.map((r) => [Date.parse(r.bucket) / 1000, r]));
    // An hour start of the report's zone (from a row when there is one: zones may be off UTC by :30).
    const anchor = rows.length > 0 ? Date.parse(rows[0].bucket) / 1000 : Math.floor(since / 3600) * 3600;
    const out = [];
    for (let t = anchor - Math.ceil((anchor - since) / 3600) * 3600; t < until; t += 3600) {
      out.push(Object.assign({ sends: 0, delivered: 0, errors: 0 }, known.get(t), { t: t }));
    }
    return out;
  }

  function drawChart(apiRows) {
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
    if (chart) chart.destroy();
    chart = new uPlot(opts, data, $('chart'));
  }

  async function hostAction(host, action, button) {
    button.disabled = true;
    try {
      await api('/v1/hosts/' + encodeURIComponent(host) + '/' + action, { method: 'POST' });
      await loadHosts();
    } catch (err) {
      if (err instanceof Unauthorized) return showLogin();
      $('status').textContent = action + ' ' + host + ' failed: ' + err.message;
      button.disabled = false;
    }
  }

  async function loadHosts() {
    const { data } = await api(reportUrl({ groupBy: 'host', bucket: 'total' }));
    const failing = data
      .filter((r) => r.failed + r.errors > 0)
      .sort((a, b) => b.failed + b.errors - (a.failed + a.errors))
      .slice(0, 10);
    const states = await Promise.all(failing.map((r) => api('/v1/hosts/' + encodeURIComponent(r.host)).catch(() => ({ state: 'unknown' }))));
    const body = $('hosts').tBodies[0];
    body.replaceChildren();
    failing.forEach((r, i) => {
      const tr = document.createElement('tr');
      tr.dataset.host = r.host;
      cell(tr, r.host);
      cell(tr, r.sends, 'num');
      cell(tr, r.failed, 'num');
      cell(tr, r.errors, 'num');
      const state = states[i].state;
      cell(tr, state, 'state state-' + state);
      const button = document.createElement('button');
      const paused = state === 'paused';
      button.textContent = paused ? 'Resume' : 'Pause';
      button.className = paused ? 'resume' : 'pause';
      button.addEventListener('click', () => hostAction(r.host, paused ? 'resume' : 'pause', button));
      cell(tr, '').appendChild(button);
      body.appendChild(tr);
    });
  }

  async function loadFailures() {
    const { data } = await api('/v1/reports/failures?limit=20');
    const body = $('failures').tBodies[0];
    body.replaceChildren();
    for (const f of data) {
      const tr = document.createElement('tr');
      tr.dataset.id = f.id;
      cell(tr, new Date(f.completedAt).toLocaleString());
      cell(tr, f.host);
      cell(tr, f.statusCode, 'num status-code');
      cell(tr, f.error, 'error-text');
      const td = cell(tr, f.workflowUrl ? '' : f.id);
      if (f.workflowUrl) {
        const a = document.createElement('a');
        a.href = f.workflowUrl;
        a.textContent = f.id;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        td.appendChild(a);
      }
      body.appendChild(tr);
    }
  }

  async function load() {
    const until = new Date();
    const since = new Date(until.getTime() - 24 * 3600 * 1000);
    // Kept on the page so what it shows can be checked against the API for the very same range.
    window.range = { since: since.toISOString(), until: until.toISOString() };
    document.body.dataset.since = window.range.since;
    document.body.dataset.until = window.range.until;
    document.body.dataset.timezone = timezone;
    $('range').textContent = since.toLocaleString() + ' – ' + until.toLocaleString() + ' (' + timezone + ')';
    try {
      const total = await api(reportUrl({ bucket: 'total' }));
      const t = total.data[0] || {};
      for (const key of ['sends', 'delivered', 'failed', 'errors', 'retries', 'latencyMsP95']) {
        const v = t[key];
        $('total-' + key).textContent = v === undefined || v === null ? (key.startsWith('latency') ? '–' : '0') : String(v);
      }
      $('csv').href = reportUrl({ bucket: 'hour', groupBy: 'host', format: 'csv' });
      $('login').hidden = true;
      $('overview').hidden = false;
      $('logout').hidden = false;
      const hourly = await api(reportUrl({ bucket: 'hour' }));
      drawChart(hourly.data);
      await Promise.all([loadHosts(), loadFailures()]);
      document.body.dataset.loaded = 'true';
    } catch (err) {
      if (err instanceof Unauthorized) return showLogin();
      $('status').textContent = 'Could not load: ' + err.message;
    }
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').textContent = '';
    try {
      await api('/dashboard/session', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ apiKey: $('api-key').value }) });
      $('api-key').value = '';
      await load();
    } catch (err) {
      $('login-error').textContent = err instanceof Unauthorized ? 'That API key is not valid.' : err.message;
    }
  });

  $('logout').addEventListener('click', async () => {
    await api('/dashboard/session', { method: 'DELETE' }).catch(() => undefined);
    showLogin();
  });

  load();
})();
