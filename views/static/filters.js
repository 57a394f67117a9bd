// A filter form folded in a <details data-open-wide> (the course list) is
// open on a desk, where it takes no room the list needs; on a phone it
// stays folded until asked for, or until a filter is applied (the server
// then renders it open). Without JavaScript it is one click away.
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 40.01rem)").matches) return;
  document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
})();
