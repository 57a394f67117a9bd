// Shows the "print" buttons ([data-print], hidden without JavaScript) and
// opens the browser's print dialog from them.
document.querySelectorAll('[data-print]').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
});
