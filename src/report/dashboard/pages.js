// The campaign page (#campaign/<id>) and the journey page (#journey/<id>): the numbers of their
// webhooks over the range, the hourly chart, a CSV download; for a journey, the per-step funnel.
(function () {
  'use strict';
  const { $, api, ApiError, reportUrl, cell, loadReport } = window.Hookflow;

  /** The definition from `path`, or undefined (with the page's message set) when there is none. */
  async function definition(path, view, what, id) {
    try {
      return await api(path);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      view.querySelector('.missing').textContent = 'There is no ' + what + ' ' + id + '.';
      view.querySelector('.report').hidden = true;
      return undefined;
    }
  }

  /** The detail view, titled, with the steps section only for a journey. */
  function detail(text, journey) {
    const view = $('detail');
    view.querySelector('h2.title').textContent = text;
    view.querySelector('.about').textContent = '';
    $('steps').hidden = !journey;
    view.querySelector('.missing').textContent = '';
    view.querySelector('.report').hidden = false;
    return view;
  }

  async function showCampaign(id) {
    const view = detail('Campaign ' + id, false);
    const campaign = await definition('/v1/campaigns/' + encodeURIComponent(id), view, 'campaign', id);
    if (!campaign) return;
    view.querySelector('.about').textContent = 'Template ' + campaign.template.id + ' · trigger ' + campaign.trigger.type + ' · ' + campaign.status;
    await loadReport(view, { campaign: id });
  }

  /** The step ids in the order of the latest published version (the draft's when none is published), then any other step the report lists. */
  function stepOrder(journey, rows) {
    const latest = journey.versions.reduce((a, v) => (a && a.version > v.version ? a : v), undefined);
    const ids = (latest ? latest.definition : journey.draft).steps.map((s) => s.id);
    for (const r of rows) if (r.journeyStep !== null && !ids.includes(r.journeyStep)) ids.push(r.journeyStep);
    return ids;
  }

  const STEP_COLUMNS = ['stepEntered', 'stepProceeded', 'stepExited', 'stepFailed', 'delivered', 'failed'];

  function drawFunnel(journey, rows) {
    const byStep = new Map(rows.map((r) => [r.journeyStep, r]));
    const types = new Map((journey.versions.length > 0 ? journey.versions : [{ definition: journey.draft }]).flatMap((v) => v.definition.steps.map((s) => [s.id, s.type])));
    const order = stepOrder(journey, rows);
    const most = Math.max(1, ...rows.map((r) => r.stepEntered || 0));
    const body = $('funnel').tBodies[0];
    body.replaceChildren();
    for (const step of order) {
      const r = byStep.get(step) || {};
      const tr = document.createElement('tr');
      tr.dataset.step = step;
      cell(tr, step, 'step');
      cell(tr, types.get(step) || '', 'type');
      for (const key of STEP_COLUMNS) cell(tr, r[key] || 0, 'num ' + key);
      // The bar: entered as the full length, the part that failed in red.
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.title = (r.stepEntered || 0) + ' entered, ' + (r.stepFailed || 0) + ' failed';
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', bar.title);
      bar.style.width = (100 * (r.stepEntered || 0)) / most + '%';
      const failed = document.createElement('div');
      failed.className = 'bar-failed';
      failed.style.width = r.stepEntered ? (100 * (r.stepFailed || 0)) / r.stepEntered + '%' : '0';
      bar.appendChild(failed);
      cell(tr, '', 'funnel-bar').appendChild(bar);
      body.appendChild(tr);
    }
  }

  async function showJourney(id) {
    const view = detail('Journey ' + id, true);
    const journey = await definition('/v1/journeys/' + encodeURIComponent(id), view, 'journey', id);
    if (!journey) return;
    const published = journey.versions.length;
    view.querySelector('.about').textContent = published > 0 ? published + ' published version' + (published > 1 ? 's' : '') : 'not published';
    const [steps] = await Promise.all([api(reportUrl({ groupBy: 'journeyStep', journey: id, bucket: 'total' })), loadReport(view, { journey: id })]);
    drawFunnel(journey, steps.data);
    $('funnel-csv').href = reportUrl({ groupBy: 'journeyStep', journey: id, bucket: 'hour', format: 'csv' });
  }

  Object.assign(window.Hookflow, { showCampaign, showJourney });
})();
