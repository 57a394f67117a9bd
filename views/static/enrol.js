// Progressive enhancement of the enrolment form: show only the fields the
// chosen category uses ([data-for] lists the categories a block is for);
// the others are hidden, and disabled so that they are not sent. Without
// JavaScript every field is shown and the server ignores or refuses what
// does not apply (app/form_trainee.go).
(function () {
  var form = document.querySelector("[data-category-form]");
  if (!form) return;
  function update() {
    var checked = form.querySelector("input[name=category]:checked");
    var category = checked ? checked.value : "";
    form.querySelectorAll("[data-for]").forEach(function (el) {
      var show = !category || el.getAttribute("data-for").split(" ").indexOf(category) >= 0;
      el.hidden = !show;
      el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "category") update();
  });
  update();
})();
