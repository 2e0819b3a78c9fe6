// Loads the dashboard in headless Chromium, checks that the numbers it shows equal the API's,
// and saves a screenshot. usage: node dashboard_check.mjs BASE_URL TOKEN SCREENSHOT
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/package.json'));
const { chromium } = require('playwright-core');

const [base, token, screenshot] = process.argv.slice(2);
const api = async (p) => {
  const r = await fetch(base + p, { headers: { Authorization: 'Bearer ' + token } });
  if (!r.ok) throw new Error(p + ' ' + r.status);
  return r.json();
};
const pct = (v) => (v === null || v === undefined ? '—' : v.toFixed(1) + ' %');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
const expect = (what, got, want) => {
  if (got !== want) { failures++; console.error(`FAIL ${what}: page shows ${JSON.stringify(got)}, API says ${JSON.stringify(want)}`); }
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20000 });
  const sla = await api('/v1/sla/summary?period=month');
  const scores = await api('/v1/employees/scores?limit=10');
  const risk = await api('/v1/sla/at-risk?limit=12');
  const text = (id) => page.textContent(`[data-testid="${id}"]`);
  expect('acknowledge compliance', await text('ack-compliance'), pct(sla.compliance.acknowledge.percent));
  expect('resolve compliance', await text('resolve-compliance'), pct(sla.compliance.resolve.percent));
  expect('bounce-back rate', await text('bounce-back-rate'), pct(sla.bounce_back_rate === null ? null : 100 * sla.bounce_back_rate));
  expect('open complaints', await text('open-complaints'), String(Object.values(sla.open_by_state).reduce((a, b) => a + b, 0)));
  // Exact decimal strings per currency, grouped by thousands: {"USD": "1234567.50"} -> "1,234,567.50 USD".
  const totals = Object.entries(sla.revenue_at_risk).map(([c, a]) => a.replace(/^(-?)(\d+)/, (m, s, d) => s + d.replace(/\B(?=(\d{3})+(?!\d))/g, ',')) + ' ' + c).join(' · ') || '0';
  expect('revenue at risk', await text('revenue-at-risk'), totals);
  expect('revenue at risk is exact text', /^[\d,]+(\.\d+)? [A-Z]{3}/.test(await text('revenue-at-risk')) || totals === '0', true);
  const board = await page.$$eval('#leaderboard tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  expect('leaderboard rows', board.length, scores.items.length);
  if (scores.items.length) {
    expect('leader', board[0][1], scores.items[0].employee_id);
    expect('leader score', board[0][2], scores.items[0].score.toFixed(1));
    expect('leader compliments', board[0][3], String(scores.items[0].compliments));
  }
  const valuable = await api('/v1/sla/at-risk?sort=value&limit=100');
  const walkers = await page.$$eval('#walkers tr', (rows) => rows.map((r) => r.children[0].textContent));
  const topValuable = valuable.items.find((i) => /[1-9]/.test(i.customer_value));
  expect('someone valuable is at risk in the demo data', !!topValuable, true);
  if (topValuable) expect('most valuable customer about to walk', walkers[0], topValuable.customer_id);
  const riskRows = await page.$$eval('#at-risk tr', (rows) => rows.map((r) => r.children[0].textContent));
  expect('at-risk rows', riskRows.length, Math.min(12, risk.items.length));
  if (risk.items.length) expect('most urgent', riskRows[0], risk.items[0].complaint_id);
  const charts = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => !!Chart.getChart(c)));
  expect('charts drawn', charts.every(Boolean) && charts.length === 2, true);
  expect('page errors', errors.join('; '), '');
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
if (failures) process.exit(1);
console.log('dashboard shows the API\'s numbers; screenshot at ' + screenshot);
