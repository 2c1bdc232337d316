// The overview page (#): totals and chart of every webhook, the campaigns and journeys of the
// range (links to their pages), top failing hosts with pause/resume, recent failures.
(function () {
  'use strict';
  const { $, api, Unauthorized, reportUrl, cell, link, loadReport } = window.Hookflow;

  async function hostAction(host, action, button) {
    button.disabled = true;
    try {
      await api('/v1/hosts/' + encodeURIComponent(host) + '/' + action, { method: 'POST' });
      await loadHosts();
    } catch (err) {
      if (err instanceof Unauthorized) return window.Hookflow.showLogin();
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
        const a = link(f.workflowUrl, f.id);
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        td.appendChild(a);
      }
      body.appendChild(tr);
    }
  }

  /** One table row per campaign (or journey) with webhooks in the range; webhooks of none are left out. */
  async function loadGroups(groupBy, table, route) {
    const { data } = await api(reportUrl({ groupBy: groupBy, bucket: 'total' }));
    const rows = data.filter((r) => r[groupBy] !== null && r[groupBy] !== undefined).sort((a, b) => b.sends - a.sends);
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const r of rows) {
      const tr = document.createElement('tr');
      tr.dataset.id = r[groupBy];
      cell(tr, '').appendChild(link('#' + route + '/' + encodeURIComponent(r[groupBy]), r[groupBy]));
      for (const key of ['sends', 'delivered', 'failed', 'errors']) cell(tr, r[key], 'num ' + key);
      body.appendChild(tr);
    }
    table.hidden = rows.length === 0;
    table.nextElementSibling.hidden = rows.length > 0;
  }

  async function showOverview() {
    await loadReport($('overview'), {}, { groupBy: 'host' });
    await Promise.all([loadHosts(), loadFailures(), loadGroups('campaign', $('campaigns'), 'campaign'), loadGroups('journey', $('journeys'), 'journey')]);
  }

  window.Hookflow.showOverview = showOverview;
})();
