// The manager dashboard: reads the same JSON API as any client, with a manager token taken
// from ?token=, the input box, or what was entered last time.
(function () {
  'use strict';
  const input = document.getElementById('token');
  const params = new URLSearchParams(location.search);
  input.value = params.get('token') || localStorage.getItem('bounceback-token') || '';
  input.addEventListener('change', () => { localStorage.setItem('bounceback-token', input.value); load(); });

  const pct = (v) => (v === null || v === undefined ? '—' : v.toFixed(1) + ' %');
  // Amounts arrive as exact decimal strings ("1200.50") with a currency code; they are shown
  // as text with thousands separators, never through a binary float.
  const grouped = (s) => s.replace(/^(-?)(\d+)/, (m, sign, d) => sign + d.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  const money = (amount, cur) => grouped(amount) + ' ' + cur;
  const totals = (t) => Object.keys(t).length ? Object.entries(t).map(([c, a]) => money(a, c)).join(' · ') : '0';
  const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
  const row = (cells) => { const tr = document.createElement('tr'); cells.forEach((c) => tr.appendChild(c)); return tr; };
  const fill = (id, rows) => { const body = document.getElementById(id); body.replaceChildren(...rows); };
  function left(seconds) {
    const a = Math.abs(seconds), h = Math.floor(a / 3600), m = Math.floor((a % 3600) / 60);
    const text = (h >= 48 ? Math.floor(h / 24) + ' d' : h + ' h ' + m + ' m');
    return seconds < 0 ? text + ' over' : text;
  }

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: 'Bearer ' + input.value } });
    if (!r.ok) { const p = await r.json().catch(() => ({})); throw new Error(path + ': ' + r.status + ' ' + (p.detail || '')); }
    return r.json();
  }

  const charts = {};
  function chart(id, config) { if (charts[id]) charts[id].destroy(); charts[id] = new Chart(document.getElementById(id), config); }

  function trend(sla) {
    const byPeriod = new Map();
    for (const b of sla.buckets) {
      const p = byPeriod.get(b.period) || { am: 0, ax: 0, rm: 0, rx: 0 };
      p.am += b.acknowledge.met; p.ax += b.acknowledge.missed; p.rm += b.resolve.met; p.rx += b.resolve.missed;
      byPeriod.set(b.period, p);
    }
    const periods = [...byPeriod.keys()].sort();
    const rate = (met, missed) => (met + missed ? (100 * met) / (met + missed) : null);
    chart('trend', {
      type: 'line',
      data: { labels: periods, datasets: [
        { label: 'Acknowledge %', data: periods.map((k) => rate(byPeriod.get(k).am, byPeriod.get(k).ax)), borderColor: '#2d6cdf', tension: 0 },
        { label: 'Resolve %', data: periods.map((k) => rate(byPeriod.get(k).rm, byPeriod.get(k).rx)), borderColor: '#1f8a4c', tension: 0 } ] },
      options: { animation: false, scales: { y: { min: 0, max: 100 } } },
    });
  }

  function pareto(prevention) {
    const top = prevention.pareto.slice(0, 10);
    chart('pareto', {
      data: { labels: top.map((p) => (p.category.length > 38 ? p.category.slice(0, 36) + '…' : p.category)), datasets: [
        { type: 'bar', label: 'Complaints', data: top.map((p) => p.count), backgroundColor: '#8fb3f0', yAxisID: 'y' },
        { type: 'line', label: 'Cumulative %', data: top.map((p) => 100 * p.cumulative_share), borderColor: '#c0392b', yAxisID: 'y1' } ] },
      options: { animation: false, scales: { y: { beginAtZero: true }, y1: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } } } },
    });
  }

  async function load() {
    const error = document.getElementById('error');
    try {
      const [sla, risk, valuable, prevention, scores] = await Promise.all([
        api('/v1/sla/summary?period=month'), api('/v1/sla/at-risk?limit=12'), api('/v1/sla/at-risk?sort=value&limit=100'),
        api('/v1/analytics/prevention'), api('/v1/employees/scores?limit=10')]);
      error.style.display = 'none';
      document.getElementById('asof').textContent = sla.as_of;
      const t = (id, v) => { document.querySelector('[data-testid="' + id + '"]').textContent = v; };
      t('ack-compliance', pct(sla.compliance.acknowledge.percent));
      t('resolve-compliance', pct(sla.compliance.resolve.percent));
      t('bounce-back-rate', pct(sla.bounce_back_rate === null ? null : 100 * sla.bounce_back_rate));
      t('open-complaints', String(Object.values(sla.open_by_state).reduce((a, b) => a + b, 0)));
      t('revenue-at-risk', totals(sla.revenue_at_risk));
      trend(sla);
      pareto(prevention);
      fill('at-risk', risk.items.slice(0, 12).map((i) => row([cell(i.complaint_id), cell(i.target), cell(i.owner || '—'),
        cell(left(i.seconds_left), 'num ' + (i.breached ? 'over' : 'soon'))])));
      const seen = new Set();
      const walkers = valuable.items.filter((i) => /[1-9]/.test(i.customer_value))
        .filter((i) => !seen.has(i.customer_id) && seen.add(i.customer_id)).slice(0, 10);
      fill('walkers', walkers.map((i) => row([cell(i.customer_id), cell(i.complaint_id), cell(money(i.customer_value, i.currency), 'num')])));
      fill('leaderboard', scores.items.map((s, n) => row([cell(String(n + 1)), cell(s.employee_id),
        cell(s.score.toFixed(1), 'num'), cell(String(s.compliments), 'num'), cell(String(s.owned), 'num')])));
      fill('repeaters', prevention.repeat_complainers.slice(0, 10).map((r) => row([cell(r.customer_id),
        cell(String(r.complaints), 'num'), cell(r.last.slice(0, 10))])));
      document.body.dataset.loaded = 'true';
    } catch (e) {
      error.textContent = e.message;
      error.style.display = 'block';
    }
  }

  load();
  setInterval(load, 30000);
})();
