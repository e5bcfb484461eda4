// The administrator's console in a real Chromium (Debian's, driven by
// playwright-core), as a person uses it: signs in with a password and a
// TOTP code, finds a person by searching, deactivates them, finds them in
// the list of deactivated people; adds a person with a role at the team
// "Blue", invites them, and (in a second browser context, as the invitee)
// accepts the invitation through the mailed link; deactivates them by
// keyboard alone; finds the acceptance and the deactivation in the audit
// trail; downloads the access review's CSV; and signs out. Every page is checked
// with axe-core (no serious or critical violation allowed) and, for the
// README, photographed.
//
// Arguments: <Tessera base URL> <email> <password> <TOTP secret (Base32)>
// <earliest TOTP step to use> <name of the person to deactivate> <directory
// for screenshots> <an API user's id>. The code is computed (RFC 6238:
// HMAC-SHA1, 30 s, 6 digits) when it is typed, so however slowly a loaded
// machine starts Chromium, it is current.
// Environment: CHROMIUM, the browser's path (default /usr/bin/chromium).
// Prints one line of JSON: the pages checked.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { readFile } from 'node:fs/promises';
import { createHmac } from 'node:crypto';

const [base, email, password, secret, earliest, person, shots, apiUser] = process.argv.slice(2);
if (!base || !email || !password || !secret || !earliest || !person || !shots || !apiUser) {
  console.error('usage: node console.mjs <base URL> <email> <password> <TOTP secret> <earliest step> <person> <screenshot dir> <API user id>');
  process.exit(2);
}

// The code an authenticator app shows now (never for a step before
// `earliest`: the server takes each step once).
function currentCode() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Math.max(Number(earliest), Math.floor(Date.now() / 30000));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
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

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  // A loaded CI machine runs this beside hundreds of tests: a minute per
  // step rather than playwright's thirty seconds.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });
  page.on('response', (r) => { if (r.status() === 404) consoleErrors.push(`404: ${r.url()}`); });
  page.on('dialog', (d) => d.accept());

  await page.goto(`${base}/console/`);
  await page.waitForURL(`${base}/console/sign-in`);
  await check(page, 'sign-in');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForURL(`${base}/console/sign-in/code`);
  await check(page, 'sign-in-code');
  await page.fill('#otp', currentCode());
  await page.press('#otp', 'Enter');
  await page.waitForURL(`${base}/console/people`);
  await check(page, 'people');

  // Search as one types (htmx swaps the results in place).
  await page.fill('#q', person);
  await page.waitForURL((url) => url.searchParams.get('q') === person);
  const link = page.locator('#results tbody a', { hasText: person });
  await link.first().waitFor();
  await link.first().click();
  await page.waitForSelector('h1');
  await check(page, 'person');
  await page.click('button.danger');
  await page.waitForSelector('.notice');
  await check(page, 'person-deactivated');

  await page.goto(`${base}/console/people`);
  await page.selectOption('#f-state', 'DEACTIVATED');
  await page.waitForURL((url) => url.searchParams.get('state') === 'DEACTIVATED');
  await page.locator('#results tbody a', { hasText: person }).first().waitFor();
  await check(page, 'people-deactivated');

  // The deactivation is in the audit trail, done through the console.
  await page.click('nav a[href="/console/audit"]');
  await page.waitForURL(`${base}/console/audit`);
  await page.selectOption('#f-action', 'user.deactivated');
  await page.waitForURL((url) => url.searchParams.get('action') === 'user.deactivated');
  await page.locator('#results tbody td', { hasText: 'console' }).first().waitFor();
  await check(page, 'audit');

  // A new person with a role at a team, invited.
  const newcomer = { name: 'Hana Ito', email: 'hana.ito@example.com' };
  await page.goto(`${base}/console/people`);
  await page.click('details.create summary');
  await page.fill('#n-name', newcomer.name);
  await page.fill('#n-email', newcomer.email);
  await page.selectOption('#n-role', { label: 'EMPLOYEE' });
  await page.selectOption('#n-team', { label: 'Blue' });
  await page.selectOption('#n-team-role', { label: 'ADMIN' });
  await check(page, 'people-add');
  await page.click('details.create button[type=submit]');
  await page.waitForURL((url) => url.searchParams.get('done') === 'created');
  const personUrl = page.url().split('?')[0];
  const personId = personUrl.split('/').pop();
  await check(page, 'person-created');
  await page.click('form[action$="/invite"] button');
  await page.waitForSelector('#invite-link');
  const mailed = new URL(await page.inputValue('#invite-link'));
  await check(page, 'person-invited');

  // The invitee, in a browser of their own, follows the link.
  const invitee = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  invitee.setDefaultTimeout(60_000);
  const theirs = await invitee.newPage();
  await theirs.goto(`${base}${mailed.pathname}${mailed.search}`);
  await theirs.fill('#password', 'hana-chosen-7!');
  await theirs.press('#password', 'Enter');
  await theirs.locator('#result', { hasText: 'Done' }).waitFor();
  await invitee.close();

  // Deactivated with the keyboard alone: Tab to the button, Enter.
  await page.goto(personUrl);
  await page.waitForSelector('h1 .badge.ok');
  let focused = false;
  for (let i = 0; i < 80 && !focused; i += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Deactivate');
  }
  if (!focused) throw new Error('the Deactivate button is not reachable by Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice');
  await page.locator('h1 .badge', { hasText: 'Deactivated' }).waitFor();

  // Both events in the audit trail.
  await page.goto(`${base}/console/audit?action=invitation.accepted`);
  await page.locator('#results tbody td', { hasText: newcomer.email }).first().waitFor();
  await page.goto(`${base}/console/audit?action=user.deactivated&object=${personId}`);
  await page.locator('#results tbody td', { hasText: personId }).first().waitFor();
  await check(page, 'audit-person');

  // The access review, and its CSV, hold the newcomer.
  await page.click('nav a[href="/console/access-review"]');
  await page.waitForURL(`${base}/console/access-review`);
  await page.locator('#results', { hasText: newcomer.email }).waitFor();
  await check(page, 'access-review');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('a[href^="/console/access-review/csv"]'),
  ]);
  const csv = await readFile(await download.path(), 'utf8');
  if (!csv.startsWith('user_id,') || !csv.includes(newcomer.email)) {
    violations.push({ page: 'access-review', id: 'csv', impact: 'critical', help: `the CSV lacks ${newcomer.email}` });
  }

  // An API user's key: made, its secret shown once.
  await page.goto(`${base}/console/people/${apiUser}`);
  await page.fill('#k-name', 'deploy');
  await page.press('#k-name', 'Enter');
  await page.waitForSelector('.secret input');
  if (!(await page.inputValue('.secret input')).length) throw new Error('no key secret shown');
  await check(page, 'api-user-key');

  // Dark, and a phone's width.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${base}/console/people`);
  await check(page, 'people-dark');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${base}/console/people`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) violations.push({ page: 'people-narrow', id: 'horizontal-scroll', impact: 'serious', help: `page is ${width}px wide at 360px` });
  await check(page, 'people-narrow');
  for (const [name, path] of [['person-narrow', personUrl], ['access-review-narrow', `${base}/console/access-review`]]) {
    await page.goto(path);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 360) violations.push({ page: name, id: 'horizontal-scroll', impact: 'serious', help: `page is ${w}px wide at 360px` });
    await check(page, name);
  }

  await page.setViewportSize({ width: 1200, height: 800 });
  await page.click('text=Sign out');
  await page.waitForURL(`${base}/console/sign-in`);
  await page.goto(`${base}/console/people`);
  await page.waitForURL(`${base}/console/sign-in`);

  if (consoleErrors.length) violations.push({ page: 'any', id: 'console-errors', impact: 'serious', help: consoleErrors.join(' | ') });
  if (outside.length) violations.push({ page: 'any', id: 'outside-requests', impact: 'critical', help: outside.join(' ') });
  process.stdout.write(`${JSON.stringify({ checked, violations })}\n`);
} finally {
  await browser.close();
}
