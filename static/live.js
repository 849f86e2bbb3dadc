// Bocha live connection: one WebSocket per tab for a signed-in user. Keeps the unread badge in
// the nav current, refreshes the chat inbox when something happens, and lends its socket to
// the room page (chat.js) through window.BochaLive.
(function () {
  "use strict";

  var me = document.querySelector("[data-signed-in-as]");
  if (!me || !("WebSocket" in window)) return;

  var listeners = {};
  var socket = null;
  var attempt = 0;
  var username = me.getAttribute("data-signed-in-as");

  function emit(type, frame) {
    (listeners[type] || []).forEach(function (fn) {
      try { fn(frame); } catch (err) { if (window.console) console.error(err); }
    });
  }

  var live = {
    username: username,
    connected: false,
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    send: function (frame) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }
  };
  window.BochaLive = live;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws");
    socket.addEventListener("open", function () {
      attempt = 0;
      live.connected = true;
      emit("open", {});
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      if (frame && frame.type) emit(frame.type, frame);
    });
    socket.addEventListener("close", function () {
      var wasConnected = live.connected;
      live.connected = false;
      socket = null;
      if (wasConnected || attempt === 0) emit("close", {});
      // Back off up to 15 s, with jitter so a restarted server is not hit by every tab at once.
      var delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      attempt += 1;
      setTimeout(connect, delay);
    });
  }

  // The badge and the page title count unread messages and unanswered requests on every page;
  // ask the server rather than guess.
  var badge = document.getElementById("unread-badge");
  var badgeTimer = null;
  function showCount(total) {
    badge.textContent = String(total);
    badge.hidden = total === 0;
    badge.setAttribute("aria-label", total + " waiting");
    var title = document.title.replace(/^\(\d+\) /, "");
    document.title = total > 0 ? "(" + total + ") " + title : title;
  }
  function refreshBadge() {
    if (!badge) return;
    clearTimeout(badgeTimer);
    badgeTimer = setTimeout(function () {
      fetch("/api/chat/waiting", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data) showCount(data.waiting.messages + data.waiting.requests);
        })
        .catch(function () {});
    }, 250);
  }
  live.refreshBadge = refreshBadge;
  live.on("message", refreshBadge);
  live.on("read", refreshBadge);
  live.on("request", refreshBadge);
  live.on("open", refreshBadge);

  // The inbox re-renders itself when a request or message arrives.
  var inbox = document.getElementById("chat-inbox");
  if (inbox) {
    var inboxTimer = null;
    var refreshInbox = function () {
      clearTimeout(inboxTimer);
      inboxTimer = setTimeout(function () {
        fetch(location.href, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) return;
            var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("chat-inbox");
            if (fresh) inbox.replaceChildren.apply(inbox, Array.prototype.slice.call(fresh.childNodes));
          })
          .catch(function () {});
      }, 300);
    };
    live.on("message", refreshInbox);
    live.on("request", refreshInbox);
    live.on("read", refreshInbox);
  }

  // Browser notifications, once the person allows them: a message or a request that arrives
  // while this tab is hidden. Only the visible tab stays quiet; each hidden tab shows at most
  // one per conversation (the browser replaces one with the same tag).
  var canNotify = "Notification" in window;
  var offer = document.getElementById("chat-notify");
  if (offer && canNotify && Notification.permission === "default") {
    offer.hidden = false;
    document.getElementById("chat-notify-button").addEventListener("click", function () {
      Notification.requestPermission().then(function () { offer.hidden = true; });
    });
  }
  function notify(title, body, tag, url) {
    if (!canNotify || Notification.permission !== "granted" || !document.hidden) return;
    try {
      var shown = new Notification(title, { body: body, tag: tag });
      shown.onclick = function () {
        window.focus();
        if (location.pathname + location.search !== url) location.href = url;
        shown.close();
      };
    } catch (err) {}
  }
  var newest = {};
  live.on("message", function (frame) {
    var m = frame.message;
    // Only a new message, once: not an edit, a reaction, or the copy a sync brings back.
    if (m.sender === username || m.version !== 1 || (newest[m.room_id] || 0) >= m.seq) return;
    newest[m.room_id] = m.seq;
    var words = m.body || (m.attachment ? "Sent " + m.attachment.name : "");
    notify(m.sender, words.length > 120 ? words.slice(0, 120) + "…" : words, "chat-" + m.room_id, "/chat/" + m.room_id);
  });
  live.on("request", function (frame) {
    var r = frame.request;
    if (r.status !== "pending" || !r.from || r.from.username === username) return;
    notify(r.from.username + " asks to chat", r.message || "Open your chats to answer.", "request-" + r.id, "/chat");
  });

  connect();
})();
