// The smaller stylesheet of a carer's first visit (static/vendor/candour-report.css):
// the sign-in page and the incident form name it (pwa/services.py REPORT_STYLESHEET),
// so a phone with no service worker takes only the rules those pages can show.
// The same as purgecss.config.cjs but for its content: only the templates those
// pages are made of (the form's parts, its errors, the answer swapped in once
// sent), and with our own app-* rules purged too (those of other pages go).
// A template those pages start to include belongs here: tests/core/test_static_files.py
// checks that every class the two pages use is kept.
const base = require('./purgecss.config.cjs');

module.exports = {
  ...base,
  content: [
    'templates/base.html',
    'templates/macros/*.html',
    'templates/core/login.html',
    'templates/core/_plain_http.html',
    'templates/incidents/new.html',
    'templates/incidents/_form*.html',
    'templates/incidents/_macros.html',
    'templates/incidents/_body_map.html',
    'templates/incidents/_body_map_macros.html',
    'templates/incidents/_photo_input.html',
    'templates/incidents/_staff_injury_fields.html',
    'templates/incidents/_non_worker_hospital.html',
    'templates/incidents/_sent.html',
    'static/js/**/*.js',
    'static/vendor/htmx.min.js',
    '*/**/*.py',
    'service-worker.js',
  ],
  // Our own rules go too unless these pages use them; the one class the form
  // makes from a stem ("app-tiles--{{ columns }}") is kept by its stem.
  safelist: {
    standard: [...base.safelist.standard.filter((pattern) => String(pattern) !== '/^app-/'), /^app-tiles--/],
  },
};
