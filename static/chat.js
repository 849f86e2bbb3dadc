// Bocha chat room: live messages over the tab's socket (live.js), in seq order; sending with
// Enter, optimistic display confirmed by the server's ack; replies, reactions, edits and
// deletions behind one actions button per message; messages grouped by sender and time under
// day headings, a divider where the reader left off, a way back to the newest; "seen" and
// typing indicators; older messages on scrolling up; catch-up after reconnecting. Builds every
// node with textContent.
//
// Keyboard: the composer has focus when the room opens. The messages are one stop in the Tab
// order: ↑/↓ (Home/End) move between them, Enter or Space opens a message's actions, Escape
// closes them. In the composer Enter sends, Shift+Enter breaks the line, Escape drops a reply.
// Editing: Enter saves, Escape cancels; either way focus returns to the composer.
(function () {
  "use strict";

  var root = document.getElementById("chat-room");
  var live = window.BochaLive;
  if (!root || !live) return;
  var clock = window.BochaTime;

  var roomId = root.getAttribute("data-room-id");
  var me = root.getAttribute("data-me");
  var peerName = root.getAttribute("data-peer-name") || "They";
  var list = document.getElementById("chat-messages");
  var scroller = document.getElementById("chat-scroll");
  var form = document.getElementById("chat-composer");
  var input = document.getElementById("chat-input");
  var statusLine = document.getElementById("chat-status");
  var typingLine = document.getElementById("chat-typing");
  var olderButton = document.getElementById("chat-older");
  var jumpButton = document.getElementById("chat-jump");
  var jumpCount = document.getElementById("chat-jump-count");
  var replying = document.getElementById("chat-replying");
  var replyingText = document.getElementById("chat-replying-text");
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var fileInput = document.getElementById("chat-file-input");
  var attachButton = document.getElementById("chat-attach");
  var fileBox = document.getElementById("chat-file");
  var fileName = document.getElementById("chat-file-name");

  var REACTIONS = [
    ["\u{1f44d}", "thumbs up"], ["\u2764\ufe0f", "heart"], ["\u{1f602}", "laughing"],
    ["\u{1f62e}", "surprised"], ["\u{1f622}", "sad"], ["\u{1f64f}", "thank you"]
  ];
  // Messages from one person less than this apart form one group (one time shown).
  var GROUP_GAP = 5 * 60 * 1000;
  // How long a message that came before its predecessors waits for them before a sync.
  var GAP_WAIT = 1000;

  var lastSeq = parseInt(root.getAttribute("data-last-seq"), 10) || 0;
  var peerRead = parseInt(root.getAttribute("data-peer-last-read"), 10) || 0;
  var lastRead = parseInt(root.getAttribute("data-last-read"), 10) || 0;
  var at = parseInt(root.getAttribute("data-at"), 10) || null;
  // Showing a message in context: newer messages are not on the page; live ones are counted.
  var partial = root.hasAttribute("data-has-newer");
  var blocked = root.hasAttribute("data-blocked");
  var firstSeq = null;
  var pending = {};
  var early = {};
  var gapTimer = null;
  var loadingOlder = false;
  var replyTo = null;
  // The file chosen for the next message: {name, uploading, id (once stored), error}.
  var file = null;
  var unseen = 0;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeNode(iso, style) {
    var node = el("time", null, iso);
    node.setAttribute("datetime", iso);
    node.setAttribute("data-style", style);
    if (clock) clock.format(node);
    return node;
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
    unseen = 0;
    showJump();
  }

  function erased(message) {
    return !message.deleted && message.body === "" && !message.attachment;
  }

  function excerpt(message) {
    if (message.deleted) return "Message deleted";
    if (message.body) return message.body.length > 140 ? message.body.slice(0, 140) + "…" : message.body;
    return message.attachment ? message.attachment.name : "";
  }

  // One message node, the same whether rendered here or by the server.
  function render(node, message) {
    var own = message.sender === me;
    var gone = message.deleted || erased(message);
    var keep = node.classList.contains("message-focus") ? " message-focus" : "";
    node.className = "message" + (own ? " message-own" : "") + (gone ? " message-deleted" : "") + keep;
    node.setAttribute("data-seq", String(message.seq));
    node.setAttribute("data-client-id", message.client_id);
    node.removeAttribute("data-message");
    node.id = "m" + message.seq;
    var tabbable = node.querySelector(".message-actions-button[tabindex='0']");
    node.replaceChildren();

    var bubble = el("div", "message-bubble");
    bubble.appendChild(el("span", "sr-only", (own ? "You" : message.sender) + ": "));
    if (message.reply_to && !message.deleted) {
      var quote = el("a", "message-quote");
      quote.href = "#m" + message.reply_to.seq;
      quote.tabIndex = -1;
      quote.setAttribute("data-jump", String(message.reply_to.seq));
      quote.appendChild(el("span", "message-quote-who", message.reply_to.sender === me ? "You" : message.reply_to.sender));
      quote.appendChild(el("span", "message-quote-text", message.reply_to.excerpt === null ? "Message deleted" : message.reply_to.excerpt));
      bubble.appendChild(quote);
    }
    var file = !message.deleted && message.attachment;
    if (file && file.width) {
      var picture = el("a", "message-image");
      picture.href = file.url;
      picture.target = "_blank";
      picture.rel = "noopener";
      picture.tabIndex = -1;
      var img = el("img");
      img.src = file.url;
      img.alt = file.name;
      img.width = file.width;
      img.height = file.height;
      img.loading = "lazy";
      picture.appendChild(img);
      bubble.appendChild(picture);
    } else if (file) {
      var link = el("a", "message-file", file.name);
      link.href = file.url;
      link.setAttribute("download", "");
      link.tabIndex = -1;
      link.appendChild(el("span", "message-file-size", " (" + size(file.size) + ")"));
      bubble.appendChild(link);
    }
    if (gone || message.body) {
      bubble.appendChild(el("p", "message-body", message.deleted ? "Message deleted" : gone ? "Message from a deleted account" : message.body));
    }
    // The bubble and, beside it, the one button that opens the message's actions.
    var row = el("div", "message-row");
    row.appendChild(bubble);
    node.appendChild(row);

    if (message.reactions && message.reactions.length && !message.deleted) {
      var reactions = el("ul", "message-reactions");
      reactions.setAttribute("aria-label", "Reactions");
      message.reactions.forEach(function (r) {
        var item = el("li");
        var mine = r.by.indexOf(me) >= 0;
        var chip = el("button", "reaction" + (mine ? " reaction-mine" : ""));
        chip.type = "button";
        chip.tabIndex = -1;
        chip.setAttribute("data-react", r.emoji);
        chip.setAttribute("aria-pressed", mine ? "true" : "false");
        chip.appendChild(el("span", null, r.emoji));
        chip.appendChild(el("span", "reaction-count", String(r.by.length)));
        chip.appendChild(el("span", "sr-only", " by " + r.by.map(function (u) { return u === me ? "you" : u; }).join(" and ")));
        item.appendChild(chip);
        reactions.appendChild(item);
      });
      node.appendChild(reactions);
    }

    if (!gone) {
      var actions = el("button", "message-actions-button");
      actions.type = "button";
      actions.tabIndex = tabbable ? 0 : -1;
      actions.setAttribute("aria-haspopup", "menu");
      actions.setAttribute("aria-expanded", "false");
      actions.setAttribute("aria-label", "Actions for " + (own ? "your message" : message.sender + "’s message") + ": " + excerpt(message));
      actions.textContent = "⋯";
      row.appendChild(actions);
    }
    var meta = el("div", "message-meta");
    meta.appendChild(timeNode(message.sent_at, "time"));
    if (message.edited_at && !message.deleted) meta.appendChild(el("span", "message-edited", "edited"));
    node.appendChild(meta);
    node._message = message;
    return node;
  }

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function nodeFor(seq) {
    return document.getElementById("m" + seq);
  }

  function messages() {
    return Array.prototype.slice.call(list.querySelectorAll("li.message"));
  }

  // Places a confirmed message by its seq, replacing an older copy or its pending twin.
  function place(message) {
    var existing = nodeFor(message.seq) || pending[message.client_id];
    if (existing) {
      if (existing._message && existing._message.version > message.version) return;
      delete pending[message.client_id];
      existing.classList.remove("message-pending");
      render(existing, message);
    } else {
      var node = render(document.createElement("li"), message);
      var after = null;
      var items = list.querySelectorAll("li[data-seq]");
      for (var i = items.length - 1; i >= 0; i--) {
        if (parseInt(items[i].getAttribute("data-seq"), 10) < message.seq) { after = items[i]; break; }
      }
      if (after) after.after(node); else list.prepend(node);
    }
    if (firstSeq === null || message.seq < firstSeq) firstSeq = message.seq;
  }

  // Day headings and groups, from the messages as they stand.
  function regroup() {
    Array.prototype.forEach.call(list.querySelectorAll("li.chat-day"), function (n) { n.remove(); });
    var nodes = messages();
    var previous = null;
    var previousDay = null;
    nodes.forEach(function (node, i) {
      var message = node._message;
      var when = message ? new Date(message.sent_at) : new Date();
      var day = when.toDateString();
      if (day !== previousDay && message) {
        var heading = el("li", "chat-day");
        heading.appendChild(el("span", null, clock ? clock.day(when) : day));
        node.before(heading);
        previous = null;
      }
      previousDay = day;
      var next = nodes[i + 1];
      node.classList.toggle("message-first", !continues(previous, node));
      node.classList.toggle("message-last", !continues(node, next && next.previousElementSibling === node ? next : null));
      previous = node;
    });
    roving();
  }

  // Whether `b` follows on from `a` in one group: same sender, same day, close in time.
  function continues(a, b) {
    if (!a || !b || !a._message || !b._message) return false;
    var x = a._message, y = b._message;
    return x.sender === y.sender && new Date(y.sent_at) - new Date(x.sent_at) < GROUP_GAP &&
      new Date(x.sent_at).toDateString() === new Date(y.sent_at).toDateString();
  }

  // The "new messages" divider, before the first message from the other person after where
  // the reader had read up to when the page opened.
  function markUnread() {
    if (partial) return null;
    var first = messages().find(function (node) {
      var m = node._message;
      return m && m.sender !== me && m.seq > lastRead;
    });
    if (!first) return null;
    var divider = el("li", "chat-unread");
    divider.id = "chat-unread";
    divider.appendChild(el("span", null, "New messages"));
    first.before(divider);
    return divider;
  }

  function updateSeen() {
    var seen = document.getElementById("chat-seen");
    if (seen) seen.remove();
    var own = list.querySelectorAll("li.message-own[data-seq]");
    for (var i = own.length - 1; i >= 0; i--) {
      if (parseInt(own[i].getAttribute("data-seq"), 10) <= peerRead) {
        var label = el("p", "chat-seen", "Seen");
        label.id = "chat-seen";
        own[i].appendChild(label);
        return;
      }
    }
  }

  var readTimer = null;
  function markRead() {
    if (document.hidden || partial) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      if (lastSeq > 0) live.send({ type: "read", room_id: roomId, seq: lastSeq });
    }, 300);
  }

  function showJump() {
    var away = !nearBottom() || partial;
    jumpButton.hidden = !away;
    jumpCount.textContent = unseen > 0 ? " (" + unseen + " new)" : "";
  }

  // A message from the socket (a frame, an ack, a sync). New ones are shown strictly in seq
  // order: one that comes before its predecessors waits for them, then a sync fetches them.
  function receive(message) {
    if (message.room_id !== roomId) return;
    if (message.seq <= lastSeq) {
      if (!partial || nodeFor(message.seq)) place(message);
      return;
    }
    early[message.seq] = early[message.seq] && early[message.seq].version > message.version ? early[message.seq] : message;
    var shown = false;
    while (early[lastSeq + 1]) {
      var next = early[lastSeq + 1];
      delete early[lastSeq + 1];
      lastSeq = next.seq;
      show(next);
      shown = true;
    }
    var waiting = Object.keys(early).length > 0;
    if (waiting && !gapTimer) {
      gapTimer = setTimeout(function () {
        gapTimer = null;
        live.send({ type: "sync", room_id: roomId, after: lastSeq });
      }, GAP_WAIT);
    } else if (!waiting && gapTimer) {
      clearTimeout(gapTimer);
      gapTimer = null;
    }
    if (shown) {
      regroup();
      updateSeen();
    }
  }

  // A new message, next in order.
  function show(message) {
    var own = message.sender === me;
    if (partial) {
      // Newer messages are not on this page: count them on the way to the newest.
      if (!own) unseen += 1;
      showJump();
      return;
    }
    var stick = nearBottom() || own;
    place(message);
    if (stick) scrollToBottom(); else { if (!own) unseen += 1; showJump(); }
    if (!own) {
      hideTyping();
      markRead();
    }
  }

  // After a sync: whatever still waits is shown in order rather than held for good.
  function flushEarly() {
    var seqs = Object.keys(early).map(Number).sort(function (a, b) { return a - b; });
    seqs.forEach(function (seq) {
      var message = early[seq];
      delete early[seq];
      if (seq > lastSeq) lastSeq = seq;
      show(message);
    });
    if (seqs.length) { regroup(); updateSeen(); }
  }

  // Messages already on the page (server-rendered) become live nodes.
  Array.prototype.forEach.call(list.querySelectorAll("li[data-message]"), function (node) {
    try { render(node, JSON.parse(node.getAttribute("data-message"))); } catch (err) {}
    var seq = parseInt(node.getAttribute("data-seq"), 10);
    if (firstSeq === null || seq < firstSeq) firstSeq = seq;
  });
  regroup();
  updateSeen();
  var divider = markUnread();
  if (at && nodeFor(at)) {
    var target = nodeFor(at);
    target.classList.add("message-focus");
    target.scrollIntoView({ block: "center" });
    roving(target);
  } else if (divider && divider.offsetTop > scroller.clientHeight / 2) {
    scroller.scrollTop = divider.offsetTop - 16;
  } else {
    scrollToBottom();
  }
  showJump();

  live.on("message", function (frame) { receive(frame.message); });
  live.on("ack", function (frame) { receive(frame.message); });
  live.on("synced", function (frame) { if (frame.room_id === roomId) flushEarly(); });
  live.on("error", function (frame) {
    var node = frame.client_id && pending[frame.client_id];
    if (!node) return;
    // Refused for good (invalid, not allowed): stop resending it. Throttled, overloaded or
    // unavailable: it stays pending and goes again with Retry, or on its own after the wait.
    var final = ["rate_limited", "overloaded", "unavailable"].indexOf(frame.code) < 0;
    if (final) delete pending[frame.client_id];
    node.classList.add("message-failed");
    var note = node.querySelector(".message-meta");
    note.replaceChildren(el("span", "message-error", frame.message || "Not sent"));
    if (final) return;
    var retry = el("button", "message-action", "Retry");
    retry.type = "button";
    retry.setAttribute("data-action", "retry");
    note.appendChild(retry);
    if (frame.retry_after) {
      setTimeout(function () {
        if (pending[frame.client_id] === node && node.classList.contains("message-failed")) retry.click();
      }, frame.retry_after * 1000);
    }
  });
  live.on("read", function (frame) {
    if (frame.room_id !== roomId || frame.username === me) return;
    peerRead = Math.max(peerRead, frame.seq);
    updateSeen();
  });

  var typingTimer = null;
  function hideTyping() {
    typingLine.hidden = true;
    clearTimeout(typingTimer);
  }
  live.on("typing", function (frame) {
    if (frame.room_id !== roomId || frame.username === me) return;
    typingLine.textContent = peerName + " is typing…";
    typingLine.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  });

  // Connection state: say so while away; on every (re)connection, catch up from lastSeq.
  live.on("close", function () {
    statusLine.textContent = "Reconnecting…";
    statusLine.hidden = false;
    root.classList.add("chat-offline");
  });
  function catchUp() {
    if (!partial) live.send({ type: "sync", room_id: roomId, after: lastSeq });
  }
  live.on("open", function () {
    statusLine.hidden = true;
    root.classList.remove("chat-offline");
    catchUp();
    Object.keys(pending).forEach(function (clientId) {
      var node = pending[clientId];
      live.send(outgoing(clientId, node));
    });
    markRead();
  });
  if (live.connected) catchUp();

  function outgoing(clientId, node) {
    var frame = { type: "send", room_id: roomId, client_id: clientId, body: node._body };
    if (node._replyTo) frame.reply_to = node._replyTo.seq;
    if (node._file) frame.attachment_id = node._file.id;
    return frame;
  }

  function send(body, clientId) {
    clientId = clientId || uuid();
    var node = pending[clientId];
    if (!node) {
      node = el("li", "message message-own message-pending message-first message-last");
      node._body = body;
      node._replyTo = replyTo;
      node._file = file;
      var bubble = el("div", "message-bubble");
      if (file) bubble.appendChild(el("p", "message-file", file.name));
      if (replyTo) {
        var quote = el("p", "message-quote");
        quote.appendChild(el("span", "message-quote-who", replyTo.sender === me ? "You" : replyTo.sender));
        quote.appendChild(el("span", "message-quote-text", replyTo.excerpt));
        bubble.appendChild(quote);
      }
      bubble.appendChild(el("p", "message-body", body));
      node.appendChild(bubble);
      node.appendChild(el("div", "message-meta", "Sending…"));
      pending[clientId] = node;
      list.appendChild(node);
      endReply();
      clearFile();
    }
    scrollToBottom();
    // When offline the message waits in `pending` and goes out on reconnection.
    live.send(outgoing(clientId, node));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (file && !file.id) {
      showFile(file.error ? file.error : "Wait for the file to finish uploading.", true);
      return;
    }
    if (!body && !file) return;
    if (body.length > 4000) {
      input.setCustomValidity("Messages can be at most 4000 characters.");
      input.reportValidity();
      return;
    }
    input.value = "";
    input.style.height = "";
    send(body);
  });

  var lastTyping = 0;
  // On touch screens there is no Shift+Enter: Enter makes a new line and the button sends.
  var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape" && replyTo) {
      event.preventDefault();
      endReply();
    }
  });
  input.addEventListener("input", function () {
    input.setCustomValidity("");
    var now = Date.now();
    if (now - lastTyping > 3000 && input.value.trim()) {
      lastTyping = now;
      live.send({ type: "typing", room_id: roomId });
    }
  });

  // A file for the next message: stored at once, sent with the message (its words optional).
  function showFile(text, failed) {
    fileName.textContent = text;
    fileBox.classList.toggle("chat-file-failed", !!failed);
    fileBox.hidden = false;
  }

  function clearFile() {
    file = null;
    fileInput.value = "";
    fileBox.hidden = true;
  }

  attachButton.addEventListener("click", function () { fileInput.click(); });
  document.getElementById("chat-file-remove").addEventListener("click", function () {
    clearFile();
    input.focus();
  });
  fileInput.addEventListener("change", function () {
    var chosen = fileInput.files && fileInput.files[0];
    if (!chosen) return;
    var mine = { name: chosen.name, id: null, error: null };
    file = mine;
    showFile("Uploading " + chosen.name + " (" + size(chosen.size) + ")…");
    var data = new FormData();
    data.append("file", chosen, chosen.name);
    fetch("/api/chat/rooms/" + roomId + "/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
      body: data
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        if (file !== mine) return;
        if (answer.ok) {
          mine.id = answer.body.attachment.id;
          mine.name = answer.body.attachment.name;
          showFile(mine.name + " (" + size(answer.body.attachment.size) + ") ready to send");
        } else {
          mine.error = "The file " + (firstError(answer.body) || "was not accepted");
          showFile(mine.error, true);
        }
      })
      .catch(function () {
        if (file !== mine) return;
        mine.error = "The file was not uploaded; check your connection.";
        showFile(mine.error, true);
      });
    input.focus();
  });

  function startReply(message) {
    replyTo = { seq: message.seq, sender: message.sender, excerpt: excerpt(message) };
    replyingText.replaceChildren(
      el("span", "chat-replying-label", "Replying to " + (message.sender === me ? "yourself" : message.sender) + ": "),
      el("span", "chat-replying-quote", replyTo.excerpt)
    );
    replying.hidden = false;
    input.focus();
  }

  function endReply() {
    replyTo = null;
    replying.hidden = true;
  }
  document.getElementById("chat-replying-cancel").addEventListener("click", function () {
    endReply();
    input.focus();
  });

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined
    });
  }

  function say(text) {
    statusLine.textContent = text;
    statusLine.hidden = false;
    setTimeout(function () { if (statusLine.textContent === text && live.connected) statusLine.hidden = true; }, 4000);
  }

  function react(message, emoji) {
    var mine = (message.reactions || []).some(function (r) { return r.emoji === emoji && r.by.indexOf(me) >= 0; });
    api(mine ? "DELETE" : "PUT", "/api/chat/rooms/" + roomId + "/messages/" + message.seq + "/reactions/" + encodeURIComponent(emoji))
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (answer) {
        if (answer.ok) place(answer.data.message);
        else say(firstError(answer.data) || "That reaction was not saved.");
      })
      .catch(function () { say("That reaction was not saved; check your connection."); });
  }

  function firstError(data) {
    var errors = data && data.errors;
    if (!errors) return null;
    var key = Object.keys(errors)[0];
    return key ? errors[key][0] : null;
  }

  function edit(node) {
    var message = node._message;
    var editor = el("form", "message-editor");
    var area = el("textarea", "message-edit-input");
    area.value = message.body;
    area.maxLength = 4000;
    area.setAttribute("aria-label", "Edit message");
    var hint = el("p", "message-edit-hint", "Enter to save · Escape to cancel");
    var save = el("button", "btn btn-sm btn-primary", "Save");
    save.type = "submit";
    var cancel = el("button", "btn btn-sm btn-secondary", "Cancel");
    cancel.type = "button";
    editor.appendChild(area);
    editor.appendChild(hint);
    editor.appendChild(cancel);
    editor.appendChild(save);
    node.querySelector(".message-bubble").replaceChildren(editor);
    node.classList.add("message-editing");
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    function done(message) {
      node.classList.remove("message-editing");
      render(node, message);
      regroup();
      updateSeen();
      input.focus();
    }
    cancel.addEventListener("click", function () { done(node._message); });
    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        done(node._message);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
        event.preventDefault();
        editor.requestSubmit();
      }
    });
    editor.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = area.value.trim();
      if (!body) return;
      save.disabled = true;
      api("PUT", "/api/chat/rooms/" + roomId + "/messages/" + message.seq, { message: { body: body } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) say("Your edit was not saved.");
          done(data && data.message.version >= node._message.version ? data.message : node._message);
        })
        .catch(function () { say("Your edit was not saved; check your connection."); done(node._message); });
    });
  }

  // One menu of actions, opened from a message's actions button.
  var menu = null;
  function closeMenu(refocus) {
    if (!menu) return;
    var button = menu._button;
    menu.remove();
    menu = null;
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
  }

  function item(label, action, extra) {
    var button = el("button", "message-menu-item", label);
    button.type = "button";
    button.setAttribute("role", "menuitem");
    button.tabIndex = -1;
    button.setAttribute("data-menu", action);
    if (extra) Object.keys(extra).forEach(function (k) { button.setAttribute(k, extra[k]); });
    return button;
  }

  function openMenu(button) {
    closeMenu(false);
    var node = button.closest("li.message");
    var message = node && node._message;
    if (!message) return;
    var own = message.sender === me;
    menu = el("div", "message-menu");
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", button.getAttribute("aria-label"));
    menu._button = button;
    menu._node = node;
    if (!blocked) {
      var row = el("div", "message-menu-reactions");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", "React");
      REACTIONS.forEach(function (r) {
        var mine = (message.reactions || []).some(function (x) { return x.emoji === r[0] && x.by.indexOf(me) >= 0; });
        var choice = item(r[0], "react", { "data-emoji": r[0], "aria-label": (mine ? "Take back " : "React ") + r[1] });
        if (mine) choice.classList.add("reaction-mine");
        row.appendChild(choice);
      });
      menu.appendChild(row);
      menu.appendChild(item("Reply", "reply"));
    }
    if (message.reply_to) menu.appendChild(item("Show the message replied to", "quote"));
    if (message.attachment) menu.appendChild(item(message.attachment.width ? "Open the image" : "Download the file", "file"));
    if (own && !blocked && message.body) menu.appendChild(item("Edit", "edit"));
    if (own) menu.appendChild(item("Delete", "delete"));
    if (!own) menu.appendChild(item("Report", "report"));
    node.querySelector(".message-row").after(menu);
    button.setAttribute("aria-expanded", "true");
    var first = menu.querySelector("[role=menuitem]");
    if (first) first.focus();
  }

  function jumpTo(seq) {
    var target = nodeFor(seq);
    if (!target) {
      window.location.href = "/chat/" + roomId + "?at=" + seq + "#m" + seq;
      return;
    }
    target.scrollIntoView({ block: "center" });
    target.classList.remove("message-focus");
    void target.offsetWidth;
    target.classList.add("message-focus");
    roving(target);
    var button = target.querySelector(".message-actions-button");
    if (button) button.focus();
  }

  function runMenu(action, button) {
    var node = menu._node;
    var message = node._message;
    closeMenu(action === "react");
    if (action === "react") react(message, button.getAttribute("data-emoji"));
    else if (action === "reply") startReply(message);
    else if (action === "quote") jumpTo(message.reply_to.seq);
    else if (action === "file") window.open(message.attachment.url, "_blank", "noopener");
    else if (action === "edit") edit(node);
    else if (action === "report") window.location.href = "/reports/new?chat=" + encodeURIComponent(roomId) + "&seq=" + message.seq;
    else if (action === "delete") {
      if (!window.confirm("Delete this message? It will show as deleted, for both of you.")) {
        node.querySelector(".message-actions-button").focus();
        return;
      }
      api("DELETE", "/api/chat/rooms/" + roomId + "/messages/" + message.seq)
        .then(function (r) { if (!r.ok) say("The message was not deleted."); })
        .catch(function () { say("The message was not deleted; check your connection."); });
      input.focus();
    }
  }

  list.addEventListener("click", function (event) {
    var target = event.target;
    var menuItem = target.closest(".message-menu [data-menu]");
    if (menuItem && menu) {
      runMenu(menuItem.getAttribute("data-menu"), menuItem);
      return;
    }
    var actions = target.closest(".message-actions-button");
    if (actions) {
      if (menu && menu._button === actions) closeMenu(true); else openMenu(actions);
      return;
    }
    var chip = target.closest("button[data-react]");
    if (chip) {
      var node = chip.closest("li.message");
      if (node && node._message && !blocked) react(node._message, chip.getAttribute("data-react"));
      return;
    }
    var quote = target.closest("[data-jump]");
    if (quote) {
      event.preventDefault();
      jumpTo(parseInt(quote.getAttribute("data-jump"), 10));
      return;
    }
    var retry = target.closest("button[data-action=retry]");
    if (retry) {
      var pendingNode = retry.closest("li");
      var clientId = Object.keys(pending).find(function (id) { return pending[id] === pendingNode; });
      pendingNode.classList.remove("message-failed");
      pendingNode.querySelector(".message-meta").textContent = "Sending…";
      if (clientId) send(pendingNode._body, clientId);
    }
  });

  document.addEventListener("click", function (event) {
    if (menu && !event.target.closest(".message-menu") && !event.target.closest(".message-actions-button")) closeMenu(false);
  });

  // The messages are one Tab stop: the actions button of the current message, which is the
  // newest until the reader moves among them.
  function roving(current) {
    var buttons = list.querySelectorAll(".message-actions-button");
    if (!buttons.length) return;
    var chosen = current ? current.querySelector(".message-actions-button")
      : list.contains(document.activeElement) ? list.querySelector(".message-actions-button[tabindex='0']") : null;
    if (!chosen) chosen = buttons[buttons.length - 1];
    Array.prototype.forEach.call(buttons, function (b) { b.tabIndex = b === chosen ? 0 : -1; });
  }

  list.addEventListener("keydown", function (event) {
    if (menu && menu.contains(event.target)) {
      var items = Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]"));
      var index = items.indexOf(event.target);
      var move = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
      if (move) {
        event.preventDefault();
        items[(index + move + items.length) % items.length].focus();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        items[event.key === "Home" ? 0 : items.length - 1].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        closeMenu(true);
      } else if (event.key === "Tab") {
        closeMenu(false);
      }
      return;
    }
    var button = event.target.closest(".message-actions-button");
    if (!button) return;
    var buttons = Array.prototype.slice.call(list.querySelectorAll(".message-actions-button"));
    var at = buttons.indexOf(button);
    var to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    if (to < 0 && olderButton && !olderButton.hidden) { loadOlder(); return; }
    var next = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
    roving(next.closest("li.message"));
    next.focus();
    next.closest("li.message").scrollIntoView({ block: "nearest" });
  });

  // Older messages when scrolled to the top (or on the button, for keyboards).
  function loadOlder() {
    if (loadingOlder || !olderButton || olderButton.hidden || firstSeq === null) return;
    loadingOlder = true;
    var height = scroller.scrollHeight;
    fetch("/api/chat/rooms/" + roomId + "/messages?before=" + firstSeq + "&limit=50", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.messages.forEach(place);
        olderButton.hidden = !data.has_more;
        regroup();
        scroller.scrollTop = scroller.scrollHeight - height;
        updateSeen();
      })
      .finally(function () { loadingOlder = false; });
  }
  if (olderButton) olderButton.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", function () {
    if (scroller.scrollTop < 80) loadOlder();
    if (nearBottom() && !partial) unseen = 0;
    showJump();
  });
  jumpButton.addEventListener("click", function () {
    if (partial) { window.location.href = "/chat/" + roomId; return; }
    scrollToBottom();
    input.focus();
  });

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
  markRead();
  if (!at && !input.disabled && !form.hidden) input.focus();
})();
