// The error summary of a form sent back with problems (partials/form_message):
// brought to the top of the screen and focused, so that a phone shows what
// to fix instead of the top of the page, and a screen reader reads it.
// Without JavaScript its autofocus attribute does the focusing.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.scrollIntoView({ block: "start" });
  summary.focus({ preventScroll: true });
})();
