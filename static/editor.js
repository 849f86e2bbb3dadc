// The post editor keeps what is typed. A draft's form (`data-autosave`) is saved a moment after
// typing stops (and at least every ten seconds while it goes on, and when the tab is hidden or
// closed), so a closed tab loses nothing; a new post becomes a draft with its first save and the
// address changes to the draft's. Until words are stored, leaving the page asks first: typed
// since the last save, or carried over from a preview or a refused submission (`data-unsaved`).
// Submitting the form stores them, so it goes without asking.
(function () {
  "use strict";

  var form = document.querySelector("form.post-form");
  if (!form) return;
  var unsaved = form.hasAttribute("data-unsaved");
  var autosaveUrl = form.getAttribute("data-autosave");
  var status = form.querySelector(".autosave-status");
  var submitting = false;
  var changedAt = 0;
  var firstUnsavedAt = 0;
  var timer = null;
  var saving = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  function fields() {
    var body = new URLSearchParams();
    ["csrf_token", "title", "description", "body", "tags", "cover_url"].forEach(function (name) {
      var input = form.elements[name];
      body.append(name, input ? input.value : "");
    });
    return body;
  }

  function save(leaving) {
    if (!autosaveUrl || !unsaved || saving) return;
    var startedAt = changedAt;
    saving = true;
    say("Saving…");
    fetch(autosaveUrl, {
      method: "POST",
      body: fields(),
      credentials: "same-origin",
      keepalive: !!leaving,
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          if (changedAt === startedAt) {
            unsaved = false;
            firstUnsavedAt = 0;
          }
          say("Draft saved at " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
          if (answer.edit_url && window.location.pathname !== answer.edit_url) {
            window.history.replaceState(null, "", answer.edit_url);
            form.setAttribute("action", answer.edit_url);
          }
        } else if (response.status === 422 && answer.errors) {
          var first = Object.keys(answer.errors)[0];
          say("Not saved: " + first + " " + String(answer.errors[first][0]).toLowerCase());
        } else {
          say("Not saved yet; trying again shortly.");
        }
      });
    }).catch(function () {
      say("Not saved: you seem to be offline. Trying again shortly.");
    }).then(function () {
      saving = false;
      if (unsaved && !leaving) schedule();
    });
  }

  function schedule() {
    if (!autosaveUrl) return;
    clearTimeout(timer);
    // Two seconds after the last key, but never more than ten after the first unsaved one.
    var wait = Math.max(0, Math.min(2000, firstUnsavedAt + 10000 - Date.now()));
    timer = setTimeout(function () { save(false); }, wait);
  }

  function changed() {
    unsaved = true;
    changedAt = Date.now();
    if (!firstUnsavedAt) firstUnsavedAt = changedAt;
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
    var when = form.elements.publish_at;
    var offset = form.elements.utc_offset;
    if (when && offset && when.value) {
      // Minutes east of UTC at the chosen moment, so a date past a clock change is right too.
      offset.value = String(-new Date(when.value).getTimezoneOffset());
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) save(true);
  });
  window.addEventListener("pagehide", function () {
    if (!submitting) save(true);
  });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved || submitting) return;
    if (autosaveUrl) save(true);
    event.preventDefault();
    event.returnValue = "";
  });
})();

// A picture for the text: uploaded as soon as it is chosen, then written into the body where
// the cursor is, as Markdown whose description the author fills in (it is selected, ready to
// type over).
(function () {
  "use strict";

  var field = document.querySelector(".body-image-field");
  var form = document.querySelector("form.post-form");
  if (!field || !form) return;
  var input = field.querySelector("input[type=file]");
  var status = field.querySelector("[role=status]");
  var body = form.elements.body;
  field.hidden = false;

  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("image", file, file.name);
    status.textContent = "Uploading " + file.name + "…";
    fetch(field.getAttribute("data-upload"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.status === 201 && answer.src) {
          var placeholder = "Describe the picture";
          var before = body.value.slice(0, body.selectionStart);
          var after = body.value.slice(body.selectionEnd);
          var gap = before && !/\n$/.test(before) ? "\n\n" : "";
          var markdown = gap + "![" + placeholder + "](" + answer.src + ")\n\n";
          body.value = before + markdown + after;
          var start = before.length + gap.length + 2;
          body.focus();
          body.setSelectionRange(start, start + placeholder.length);
          body.dispatchEvent(new Event("input", { bubbles: true }));
          status.textContent = "The picture is in the text. Type its description now.";
        } else {
          var errors = answer.errors && answer.errors.image;
          status.textContent = errors ? errors[0] : "The picture could not be uploaded; please try again.";
        }
      });
    }).catch(function () {
      status.textContent = "The picture could not be uploaded: you seem to be offline.";
    }).then(function () {
      input.value = "";
    });
  });
})();
