// The dashboard's router and login: hash routes in the one page (no build server):
// `#` the overview, `#campaign/<id>`, `#journey/<id>`. Shows the login form when the API answers 401.
(function () {
  'use strict';
  const H = window.Hookflow;
  const { $, api, Unauthorized } = H;
  const VIEWS = ['overview', 'detail'];

  function showLogin() {
    for (const v of VIEWS) $(v).hidden = true;
    for (const el of ['logout', 'nav', 'span-label']) $(el).hidden = true;
    $('login').hidden = false;
  }
  H.showLogin = showLogin;

  /** The page the hash names: [view, id]. */
  function route() {
    const m = /^#(campaign|journey)\/(.+)$/.exec(location.hash);
    if (!m) return ['overview', undefined];
    try {
      return [m[1], decodeURIComponent(m[2])];
    } catch {
      return ['overview', undefined];
    }
  }

  /** Shows the page the hash names, for the range chosen now. */
  async function show() {
    const [view, id] = route();
    document.body.dataset.view = view;
    $('status').textContent = '';
    H.setRange();
    try {
      // Asks the API before showing anything: a 401 shows the login form instead.
      await api(H.reportUrl({ bucket: 'total' }));
      $('login').hidden = true;
      for (const el of ['logout', 'nav', 'span-label']) $(el).hidden = false;
      for (const v of VIEWS) $(v).hidden = v !== (view === 'overview' ? 'overview' : 'detail');
      if (view === 'campaign') await H.showCampaign(id);
      else if (view === 'journey') await H.showJourney(id);
      else await H.showOverview();
      return true;
    } catch (err) {
      if (err instanceof Unauthorized) showLogin();
      else $('status').textContent = 'Could not load: ' + err.message;
      return false;
    }
  }

  // One load at a time: a route or range change during a load runs once more after it, so the
  // page ends showing the last one asked, never a mix. `data-loaded` marks it shown (tests wait on it).
  let running = false;
  let again = false;
  async function load() {
    delete document.body.dataset.loaded;
    if (running) return void (again = true);
    running = true;
    let shown;
    do {
      again = false;
      shown = await show();
    } while (again);
    running = false;
    if (shown) document.body.dataset.loaded = 'true';
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

  window.addEventListener('hashchange', load);
  $('span').addEventListener('change', load);
  load();
})();
