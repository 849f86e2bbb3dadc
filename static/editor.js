// The post editor asks before the page is left with words that are not stored: typed since the
// page loaded, or carried over from a preview or a refused submission (`data-unsaved`).
// Submitting the form stores them, so it goes without asking.
(function () {
  "use strict";

  var form = document.querySelector("form.post-form");
  if (!form) return;
  var unsaved = form.hasAttribute("data-unsaved");

  form.addEventListener("input", function () { unsaved = true; });
  form.addEventListener("change", function () { unsaved = true; });
  form.addEventListener("submit", function () { unsaved = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
