// Bocha's one time model: every <time datetime> on a page is shown in the reader's own time
// zone and locale, with the full date and time (and zone) on hover. The server writes UTC as a
// fallback for readers without JavaScript. `data-style` picks the form:
//   date (default)  "6 December 2026"       time   "16:29" / "4:29 PM"
//   short           today: time; this week: weekday; else "6 Dec" (lists)
//   datetime        "6 Dec 2026, 16:29"      precise "6 Dec 2026, 16:29:05" (histories)
// chat.js formats the times it creates with window.BochaTime.
(function () {
  "use strict";

  var full = { dateStyle: "full", timeStyle: "long" };
  var forms = {
    date: { year: "numeric", month: "long", day: "numeric" },
    time: { hour: "numeric", minute: "2-digit" },
    datetime: { dateStyle: "medium", timeStyle: "short" },
    precise: { dateStyle: "medium", timeStyle: "medium" }
  };

  function label(date, style) {
    if (style === "short") {
      var now = new Date();
      if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString(undefined, forms.time);
      if (now - date < 6 * 864e5 && now > date) return date.toLocaleDateString(undefined, { weekday: "short" });
      return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    }
    var form = forms[style] || forms.date;
    return style === "time" ? date.toLocaleTimeString(undefined, form) : date.toLocaleString(undefined, form);
  }

  function format(node) {
    var date = new Date(node.getAttribute("datetime"));
    if (isNaN(date)) return;
    node.textContent = label(date, node.getAttribute("data-style") || "date");
    node.title = date.toLocaleString(undefined, full);
  }

  // A day heading for a conversation: "Today", "Yesterday", or the date.
  function day(date) {
    var today = new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (date.toDateString() === today.toDateString()) return "Today";
    if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
    var form = { weekday: "long", month: "long", day: "numeric" };
    if (date.getFullYear() !== today.getFullYear()) form.year = "numeric";
    return date.toLocaleDateString(undefined, form);
  }

  window.BochaTime = { format: format, label: label, day: day };

  function formatAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("time[datetime]"), format);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { formatAll(); });
  else formatAll();
  // Parts of pages replaced in place (the inbox) are formatted again.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) {
        if (node.nodeType !== 1) return;
        if (node.matches("time[datetime]") && !node.title) format(node);
        else formatAll(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
