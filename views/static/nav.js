// The main navigation is one row that scrolls sideways on a phone
// (app.css): on load, the current page's link is brought to the row's
// middle, with its neighbours on either side. Only the row scrolls, never
// the page (a page opened by "back" keeps its place). Once the fonts are
// in, the links' widths change: centred again unless the row was moved.
(function () {
  var current = document.querySelector('.main-nav a[aria-current="page"]');
  if (!current) return;
  var row = current.closest("ul");
  function centre() {
    if (row.scrollWidth <= row.clientWidth) return row.scrollLeft; // a desk: nothing hidden
    var r = row.getBoundingClientRect(), c = current.getBoundingClientRect();
    row.scrollLeft += c.left + c.width / 2 - (r.left + r.width / 2);
    return row.scrollLeft;
  }
  var at = centre();
  if (document.fonts) document.fonts.ready.then(function () { if (row.scrollLeft === at) centre(); });
})();
