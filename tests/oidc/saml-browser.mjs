// Signs in through Tessera's SAML connection in a real Chromium (Debian's,
// driven by playwright-core, installed here for browser.mjs), as a person
// would: opens Tessera's sign-in URL, types the name on the test IdP's
// login page (tests/saml/idp.py), lets the IdP's form post the response to
// Tessera's ACS, and prints the frontend URL the browser lands on.
//
// Arguments: <Tessera sign-in URL> <username> <frontend URL prefix>.
// Environment: CHROMIUM, the browser's path (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const [start, username, frontend] = process.argv.slice(2);
if (!start || !username || !frontend) {
  console.error('usage: node saml-browser.mjs <start URL> <username> <frontend prefix>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // Tests run as root in containers, where Chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  // The frontend does not exist here. Tessera's ACS answers the IdP's
  // form POST with a redirect to it, which page.route cannot intercept (it
  // sees only the first request of a redirect chain): the browser's
  // request for the frontend URL is where the sign-in lands.
  const landed = new Promise((resolve) => {
    page.on('request', (request) => {
      if (request.url().startsWith(frontend)) resolve(request.url());
    });
  });
  await page.goto(start);
  await page.fill('input[name="username"]', username);
  await page.click('button[type="submit"]');
  const url = await Promise.race([
    landed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('never landed on the frontend')), 20000)),
  ]);
  process.stdout.write(`${url}\n`);
} finally {
  await browser.close();
}
