/*
 * Bocha theme switcher.
 *
 * Loaded synchronously in <head> so the stored theme is applied before the
 * first paint (no flash). Without a stored choice the site follows the OS
 * (prefers-color-scheme, handled purely in CSS). The toggle button
 * (#theme-toggle) flips between light and dark and remembers the choice.
 */
(function () {
  "use strict";

  var KEY = "bocha-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  // Lets CSS show controls that need JavaScript (the toggle button).
  root.classList.add("js");

  function readStored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null; // storage blocked (privacy mode, disabled cookies)
    }
  }

  function store(value) {
    try {
      window.localStorage.setItem(KEY, value);
    } catch (e) {
      /* the choice still applies to this page */
    }
  }

  function apply(value) {
    if (value) {
      root.dataset.theme = value;
    } else {
      delete root.dataset.theme;
    }
  }

  function effective() {
    if (root.dataset.theme === "light" || root.dataset.theme === "dark") {
      return root.dataset.theme;
    }
    return media && media.matches ? "dark" : "light";
  }

  function syncButton() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var dark = effective() === "dark";
    var next = dark ? "light" : "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.setAttribute("title", "Switch to " + next + " theme");
  }

  var initial = readStored();
  if (initial) apply(initial);

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;

    syncButton();

    button.addEventListener("click", function () {
      var next = effective() === "dark" ? "light" : "dark";
      apply(next);
      store(next);
      syncButton();
    });
  });

  // Follow OS changes while no explicit choice is stored.
  if (media) {
    var onSystemChange = function () {
      if (!readStored()) syncButton();
    };
    if (media.addEventListener) {
      media.addEventListener("change", onSystemChange);
    } else if (media.addListener) {
      media.addListener(onSystemChange);
    }
  }

  // Keep several open tabs in step.
  window.addEventListener("storage", function (event) {
    if (event.key !== KEY) return;
    apply(event.newValue === "light" || event.newValue === "dark" ? event.newValue : null);
    syncButton();
  });
})();
