// A refused submission comes back as the same page with its errors. Focus goes to the first
// field to fix (its label and message are read with it), or to the message when no single field
// is at fault, instead of staying at the top of the page where the errors go unnoticed.
(function () {
  "use strict";

  var target = document.querySelector("form [aria-invalid='true']") ||
    document.querySelector(".form-errors");
  if (!target) return;
  if (!target.matches("input, textarea, select, button")) target.setAttribute("tabindex", "-1");
  target.focus();
})();
