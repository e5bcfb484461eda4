// The console's read-only and cross-organization journeys in a real
// Chromium (Debian's, driven by playwright-core):
// - a VIEWER signs in and opens every page the navigation offers, a
//   person's page and a team's page: each shows its data, and none offers a
//   write (no form that posts, other than signing out; no "new" link);
// - the VIEWER opens their own profile and starts MFA enrolment (the QR
//   code, drawn on the server as SVG);
// - the OWNER of another organization signs in: the first organization's
//   people are not in its list, and the first organization's person and
//   team pages answer "not found" (never "forbidden", which would tell
//   that they exist).
// Every page is checked with axe-core and photographed.
//
// Arguments: <Tessera base URL> <viewer's email> <viewer's password>
// <other owner's email> <other owner's password> <a person's id> <that person's email> <a team's id>
// <directory for screenshots>.
// Environment: CHROMIUM, the browser's path (default /usr/bin/chromium).
// Prints one line of JSON: the pages checked, the violations and failures.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const [base, viewer, viewerPassword, other, otherPassword, person, personEmail, team, shots] = process.argv.slice(2);
if (!base || !viewer || !viewerPassword || !other || !otherPassword || !person || !personEmail || !team || !shots) {
  console.error('usage: node console-viewer.mjs <base URL> <viewer email> <viewer password> <other owner email> <other password> <person id> <person email> <team id> <screenshot dir>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const checked = [];
const violations = [];
const failures = [];

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

async function signIn(email, password) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/console/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForURL(`${base}/console/people`);
  return { context, page };
}

// What on the page would change something: forms that post (signing out
// aside) and links to a "new" form.
async function writesOffered(page) {
  return page.evaluate(() => {
    const forms = [...document.querySelectorAll('form')]
      .filter((f) => (f.getAttribute('method') ?? 'get').toLowerCase() === 'post')
      .map((f) => f.getAttribute('action'))
      .filter((a) => a !== '/console/sign-out');
    const links = [...document.querySelectorAll('a[href$="/new"]')].map((a) => a.getAttribute('href'));
    return [...forms, ...links];
  });
}

try {
  // A VIEWER: everything to read, nothing to change.
  const { context: viewing, page } = await signIn(viewer, viewerPassword);
  const sections = await page.$$eval('nav[aria-label="Sections"] a', (links) => links.map((a) => a.getAttribute('href')));
  if (sections.length < 5) failures.push(`the viewer is offered only ${sections.join(', ')}`);
  const pages = [...sections, `/console/people/${person}`, `/console/teams/${team}`];
  for (const path of pages) {
    const answer = await page.goto(`${base}${path}`);
    if (answer.status() !== 200) {
      failures.push(`viewer: ${path} answered ${answer.status()}`);
      continue;
    }
    const writes = await writesOffered(page);
    if (writes.length > 0) failures.push(`viewer: ${path} offers ${writes.join(', ')}`);
    const name = `viewer-${path.replace('/console/', '').replace(/\/.*$/, (m) => (m.length > 1 ? '-detail' : ''))}`;
    await check(page, name);
  }
  await page.goto(`${base}/console/people`);
  if (!(await page.content()).includes(personEmail)) failures.push('the viewer does not see the person in the list');
  // Their own profile is theirs to change: the password form, and MFA
  // enrolment with the QR code drawn on the server.
  await page.click('a.name');
  await page.waitForURL(`${base}/console/profile`);
  await check(page, 'profile');
  await page.click('button:has-text("Set up MFA")');
  await page.waitForSelector('figure.qr svg');
  if (!(await page.textContent('#mfa-secret'))?.trim()) failures.push('the enrolment shows no key');
  await check(page, 'profile-mfa');
  await viewing.close();

  // Another organization's OWNER: nothing of this one.
  const { context: outsider, page: theirs } = await signIn(other, otherPassword);
  if ((await theirs.innerText('body')).includes(personEmail)) failures.push('another organization lists the person');
  await theirs.fill('#q', personEmail);
  await theirs.press('#q', 'Enter');
  await theirs.waitForLoadState();
  if ((await theirs.innerText('body')).includes(personEmail)) failures.push('another organization finds the person by search');
  await check(theirs, 'other-org-search');
  for (const path of [`/console/people/${person}`, `/console/teams/${team}`]) {
    const answer = await theirs.goto(`${base}${path}`);
    if (answer.status() !== 404) failures.push(`another organization: ${path} answered ${answer.status()}`);
    if ((await theirs.innerText('body')).includes(personEmail)) failures.push(`another organization: ${path} shows the person`);
  }
  await check(theirs, 'other-org-not-found');
  await outsider.close();
} catch (e) {
  failures.push(String(e?.stack ?? e));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ checked, violations, failures }));
