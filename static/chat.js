// Bocha chat room: live messages over the tab's socket (live.js), sending with Enter,
// optimistic display confirmed by the server's ack, "seen" and typing indicators, older
// messages on scrolling up, catch-up after reconnecting. Builds every node with textContent.
(function () {
  "use strict";

  var root = document.getElementById("chat-room");
  var live = window.BochaLive;
  if (!root || !live) return;

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
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

  var lastSeq = parseInt(root.getAttribute("data-last-seq"), 10) || 0;
  var peerRead = parseInt(root.getAttribute("data-peer-last-read"), 10) || 0;
  var firstSeq = null;
  var pending = {};
  var loadingOlder = false;

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

  function timeLabel(iso) {
    var date = new Date(iso);
    var sameDay = new Date().toDateString() === date.toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : date.toLocaleDateString([], { month: "short", day: "numeric" }) + ", " +
        date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // One message node, the same whether rendered here or by the server.
  function render(node, message) {
    var own = message.sender === me;
    // A message without words is one whose sender deleted their account (a message sent is
    // never blank).
    var erased = !message.deleted && message.body === "";
    node.className = "message" + (own ? " message-own" : "") + (message.deleted || erased ? " message-deleted" : "");
    node.setAttribute("data-seq", String(message.seq));
    node.setAttribute("data-client-id", message.client_id);
    node.id = "m" + message.seq;
    node.replaceChildren();
    var bubble = el("div", "message-bubble");
    if (!own) bubble.appendChild(el("span", "sr-only", message.sender + ": "));
    bubble.appendChild(el("p", "message-body", message.deleted ? "Message deleted" : erased ? "Message from a deleted account" : message.body));
    node.appendChild(bubble);
    var meta = el("div", "message-meta");
    var time = el("time", null, timeLabel(message.sent_at));
    time.setAttribute("datetime", message.sent_at);
    meta.appendChild(time);
    if (message.edited_at && !message.deleted) meta.appendChild(el("span", "message-edited", " · edited"));
    if (own && !message.deleted) {
      var edit = el("button", "message-action", "Edit");
      edit.type = "button";
      edit.setAttribute("data-action", "edit");
      var remove = el("button", "message-action", "Delete");
      remove.type = "button";
      remove.setAttribute("data-action", "delete");
      meta.appendChild(edit);
      meta.appendChild(remove);
    }
    if (!own && !message.deleted && !erased) {
      var report = el("a", "message-action message-report", "Report");
      report.href = "/reports/new?chat=" + encodeURIComponent(roomId) + "&seq=" + message.seq;
      report.appendChild(el("span", "sr-only", " message " + message.seq));
      meta.appendChild(report);
    }
    node.appendChild(meta);
    node._message = message;
    return node;
  }

  function nodeFor(seq) {
    return document.getElementById("m" + seq);
  }

  // Places a confirmed message by its seq, replacing an earlier copy or its pending twin.
  function place(message) {
    var existing = nodeFor(message.seq) || pending[message.client_id];
    if (existing) {
      delete pending[message.client_id];
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
    if (document.hidden) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      if (lastSeq > 0) live.send({ type: "read", room_id: roomId, seq: lastSeq });
    }, 300);
  }

  function receive(message) {
    if (message.room_id !== roomId) return;
    var stick = nearBottom() || message.sender === me;
    if (message.seq > lastSeq + 1 && lastSeq > 0) {
      // Something was missed (the connection or Redis hiccupped): fetch it in order.
      live.send({ type: "sync", room_id: roomId, after: lastSeq });
    }
    place(message);
    if (message.seq > lastSeq) lastSeq = message.seq;
    updateSeen();
    if (stick) scrollToBottom();
    if (message.sender !== me) {
      hideTyping();
      markRead();
    }
  }

  // Messages already on the page (server-rendered) become live nodes.
  Array.prototype.forEach.call(list.querySelectorAll("li[data-message]"), function (node) {
    try { render(node, JSON.parse(node.getAttribute("data-message"))); } catch (err) {}
    var seq = parseInt(node.getAttribute("data-seq"), 10);
    if (firstSeq === null || seq < firstSeq) firstSeq = seq;
  });
  updateSeen();
  scrollToBottom();

  live.on("message", function (frame) { receive(frame.message); });
  live.on("ack", function (frame) {
    if (frame.message.room_id === roomId) receive(frame.message);
  });
  live.on("error", function (frame) {
    var node = frame.client_id && pending[frame.client_id];
    if (!node) return;
    // Refused for good (invalid, not allowed): stop resending it. Throttled or unavailable:
    // it stays pending and goes again on reconnection or with Retry.
    var final = frame.code !== "rate_limited" && frame.code !== "unavailable";
    if (final) delete pending[frame.client_id];
    node.classList.add("message-failed");
    var note = node.querySelector(".message-meta");
    note.replaceChildren(el("span", "message-error", frame.message || "Not sent"));
    if (final) return;
    var retry = el("button", "message-action", "Retry");
    retry.type = "button";
    retry.setAttribute("data-action", "retry");
    note.appendChild(retry);
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
  live.on("open", function () {
    statusLine.hidden = true;
    root.classList.remove("chat-offline");
    live.send({ type: "sync", room_id: roomId, after: lastSeq });
    Object.keys(pending).forEach(function (clientId) {
      var node = pending[clientId];
      live.send({ type: "send", room_id: roomId, client_id: clientId, body: node._body });
    });
    markRead();
  });
  if (live.connected) live.send({ type: "sync", room_id: roomId, after: lastSeq });

  function send(body, clientId) {
    clientId = clientId || uuid();
    var node = pending[clientId];
    if (!node) {
      node = el("li", "message message-own message-pending");
      node._body = body;
      var bubble = el("div", "message-bubble");
      bubble.appendChild(el("p", "message-body", body));
      node.appendChild(bubble);
      node.appendChild(el("div", "message-meta", "Sending…"));
      pending[clientId] = node;
      list.appendChild(node);
    }
    scrollToBottom();
    // When offline the message waits in `pending` and goes out on reconnection.
    live.send({ type: "send", room_id: roomId, client_id: clientId, body: body });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) return;
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

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined
    });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var node = button.closest("li");
    var action = button.getAttribute("data-action");
    if (action === "retry") {
      var clientId = Object.keys(pending).find(function (id) { return pending[id] === node; });
      node.classList.remove("message-failed");
      node.querySelector(".message-meta").textContent = "Sending…";
      if (clientId) send(node._body, clientId);
      return;
    }
    var message = node._message;
    if (!message) return;
    if (action === "delete") {
      if (!window.confirm("Delete this message? It will show as deleted.")) return;
      api("DELETE", "/api/chat/rooms/" + roomId + "/messages/" + message.seq);
    } else if (action === "edit") {
      var editor = el("form", "message-editor");
      var area = el("textarea", "message-edit-input");
      area.value = message.body;
      area.maxLength = 4000;
      area.setAttribute("aria-label", "Edit message");
      var save = el("button", "btn btn-sm btn-primary", "Save");
      save.type = "submit";
      var cancel = el("button", "btn btn-sm btn-secondary", "Cancel");
      cancel.type = "button";
      editor.appendChild(area);
      editor.appendChild(save);
      editor.appendChild(cancel);
      var bubble = node.querySelector(".message-bubble");
      bubble.replaceChildren(editor);
      area.focus();
      cancel.addEventListener("click", function () { render(node, message); });
      editor.addEventListener("submit", function (e) {
        e.preventDefault();
        var body = area.value.trim();
        if (!body) return;
        api("PUT", "/api/chat/rooms/" + roomId + "/messages/" + message.seq, { message: { body: body } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { render(node, data ? data.message : message); });
      });
    }
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
        scroller.scrollTop = scroller.scrollHeight - height;
        updateSeen();
      })
      .finally(function () { loadingOlder = false; });
  }
  if (olderButton) olderButton.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", function () {
    if (scroller.scrollTop < 80) loadOlder();
  });

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
  markRead();
})();
