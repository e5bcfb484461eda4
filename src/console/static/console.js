// Tessera console: small enhancements over pages that work without script.
// Loaded from the server (Content-Security-Policy: default-src 'self').
'use strict';

// A form with data-confirm asks before it is sent.
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
