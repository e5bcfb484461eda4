// The console's organization pages in a real Chromium (Debian's, driven by
// playwright-core): signs in, opens every page (lists, detail pages, new
// and edit forms, the page showing an API key's secret once), checks each
// with axe-core (no serious or critical violation allowed) and photographs
// it; creates a team with the keyboard alone (Tab, typing, Enter); checks
// dark mode and a 360px-wide phone.
//
// Arguments: <Tessera base URL> <email> <password> <a team's id> <a
// webhook's id> <directory for screenshots>.
// Environment: CHROMIUM, the browser's path (default /usr/bin/chromium).
// Prints one line of JSON: the pages checked and the violations found.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const [base, email, password, team, webhook, shots] = process.argv.slice(2);
if (!base || !email || !password || !team || !webhook || !shots) {
  console.error('usage: node console-pages.mjs <base URL> <email> <password> <team id> <webhook id> <screenshot dir>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const checked = [];
const violations = [];
const outside = [];

async function check(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  for (const v of results.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      violations.push({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) });
    }
  }
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  checked.push(name);
}

async function visit(page, path, name) {
  const response = await page.goto(`${base}${path}`);
  if (!response || response.status() !== 200) {
    violations.push({ page: name, id: 'status', impact: 'critical', help: `${path} answered ${response?.status()}` });
    return;
  }
  await check(page, name);
}

// Presses Tab until `selector` has the focus (at most `limit` times).
async function tabTo(page, selector, limit = 60) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });
  page.on('dialog', (d) => d.accept());

  await page.goto(`${base}/console/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForURL(`${base}/console/people`);

  await visit(page, '/console/teams', 'teams');
  await visit(page, `/console/teams/${team}`, 'team');
  await visit(page, '/console/teams/new', 'team-new');
  await visit(page, '/console/targets', 'targets');
  await page.locator('#results tbody a').first().click();
  await page.waitForSelector('h1');
  await check(page, 'target');
  await visit(page, '/console/targets/new', 'target-new');
  await visit(page, '/console/labels', 'labels');
  await page.locator('#results tbody td[data-label="Name"] a').first().click();
  await page.waitForSelector('h1');
  await check(page, 'label');
  await visit(page, '/console/labels/new', 'label-new');
  await visit(page, '/console/roles', 'roles');
  await page.locator('#results tbody a', { hasText: 'Label curator' }).click();
  await page.waitForSelector('fieldset.checks');
  await check(page, 'role');
  await visit(page, '/console/roles/RoLeauditorX', 'role-builtin');
  await visit(page, '/console/roles/new', 'role-new');
  await visit(page, '/console/api-users', 'api-users');
  await visit(page, '/console/api-users/new', 'api-user-new');
  await page.fill('#name', 'Reporting job');
  await page.fill('#email', 'reports@example.com');
  await page.fill('#key_name', 'nightly');
  await page.click('button[type=submit].primary');
  await page.waitForSelector('#key-secret');
  await check(page, 'api-user-secret');
  await page.locator('main a', { hasText: 'Go to' }).click();
  await page.waitForSelector('#keys-h');
  await check(page, 'api-user');
  await visit(page, '/console/invitations', 'invitations');
  await visit(page, '/console/webhooks', 'webhooks');
  await visit(page, `/console/webhooks/${webhook}`, 'webhook');
  await visit(page, `/console/webhooks/${webhook}/edit`, 'webhook-edit');
  await visit(page, '/console/webhooks/new', 'webhook-new');
  await visit(page, '/console/sso-connections', 'sso-connections');
  await visit(page, '/console/sso-connections/new', 'sso-new');

  // A team, by keyboard alone: from the list's "New team", through the
  // form, to the new team's page.
  await page.goto(`${base}/console/teams`);
  await tabTo(page, 'a[href="/console/teams/new"]');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/console/teams/new`);
  await tabTo(page, '#name');
  await page.keyboard.type('Keyboard team');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Made without a mouse');
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname.startsWith('/console/teams/') && url.searchParams.get('done') === 'created');
  await check(page, 'team-created');

  // Dark, and a phone's width.
  await page.emulateMedia({ colorScheme: 'dark' });
  await visit(page, `/console/teams/${team}`, 'team-dark');
  await visit(page, '/console/roles/new', 'role-new-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 360, height: 740 });
  for (const [path, name] of [
    ['/console/teams', 'teams-narrow'],
    [`/console/webhooks/${webhook}`, 'webhook-narrow'],
    ['/console/roles/new', 'role-new-narrow'],
  ]) {
    await visit(page, path, name);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 360) violations.push({ page: name, id: 'horizontal-scroll', impact: 'serious', help: `page is ${width}px wide at 360px` });
  }

  if (consoleErrors.length) violations.push({ page: 'any', id: 'console-errors', impact: 'serious', help: consoleErrors.join(' | ') });
  if (outside.length) violations.push({ page: 'any', id: 'outside-requests', impact: 'critical', help: outside.join(' ') });
  process.stdout.write(`${JSON.stringify({ checked, violations })}\n`);
} finally {
  await browser.close();
}
