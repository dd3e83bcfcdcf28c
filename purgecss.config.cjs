// `make setup` keeps, of NHS.UK frontend's rules, only those whose classes appear
// in what the pages are made of: templates, scripts (ours and htmx's), and the
// Python that names classes. Our own rules (app-*) all stay. Classes made up at
// run time from a stem ("nhsuk-tag--{{ colour }}") are kept by the stems below.
module.exports = {
  content: [
    'templates/**/*.html',
    'static/js/**/*.js',
    'static/vendor/htmx.min.js',
    '*/**/*.py',
    'service-worker.js',
  ],
  // Custom properties and animations no kept rule uses go too.
  variables: true,
  keyframes: true,
  skippedContentGlobs: ['node_modules/**', '.venv/**', 'tests/**'],
  safelist: {
    standard: [
      /^app-/,
      /^js-/,
      /^htmx-/,
      /^nhsuk-tag--/,
      /^nhsuk-fieldset__legend--/,
      /^nhsuk-input--width-/,
    ],
  },
};
