// Signs in through Tessera in a real Chromium (Debian's, driven by
// playwright-core), as a person would: opens Tessera's sign-in URL, fills
// the provider's login form, continues on its consent page, and prints the
// frontend URL the browser lands on (one line) once it gets there.
//
// Arguments: <Tessera sign-in URL> <login> <frontend URL prefix>.
// Environment: CHROMIUM, the browser's path (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const [start, login, frontend] = process.argv.slice(2);
if (!start || !login || !frontend) {
  console.error('usage: node browser.mjs <start URL> <login> <frontend prefix>');
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
  // The frontend does not exist here: answer for it.
  await page.route(`${frontend}**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>signed in</p>' }));
  await page.goto(start);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
  await page.click('button[type="submit"]');
  await page.waitForURL(`${frontend}**`, { timeout: 20000 });
  process.stdout.write(`${page.url()}\n`);
} finally {
  await browser.close();
}
