// Progressive enhancement of the enrolment form: show only the fields the
// chosen category uses. Without JavaScript every field is shown and the
// server refuses what does not apply.
(function () {
  var form = document.querySelector("[data-category-form]");
  if (!form) return;
  function update() {
    var checked = form.querySelector("input[name=category]:checked");
    var category = checked ? checked.value : "";
    form.querySelectorAll("[data-for]").forEach(function (el) {
      var show = !category || el.getAttribute("data-for").split(" ").indexOf(category) >= 0;
      el.hidden = !show;
      el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !show; });
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "category") update();
  });
  update();
})();
