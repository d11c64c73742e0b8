/* The live connection of a dashboard page: a socket to `path` whose messages of a type in
 * `signals` call `refresh()`. While the socket cannot be open, the page refreshes every
 * `pollMs` and the socket is tried again after 2 s, doubling up to a minute. A close with code
 * 4403 (the login ended or lost staff status) stops both. `setStatus(mode, text)` shows the
 * state: "socket", "polling" or "closed". `refreshOnDisconnect()` says whether a lost socket
 * should refresh at once (default: yes). */
(function () {
  "use strict";

  window.DashboardLive = {
    follow: function (options) {
      var socket = null, retryMs = 2000, pollTimer = null;
      var refreshOnDisconnect = options.refreshOnDisconnect || function () { return true; };

      function startPolling() {
        if (pollTimer === null) { pollTimer = window.setInterval(options.refresh, options.pollMs); }
      }
      function stopPolling() {
        if (pollTimer !== null) { window.clearInterval(pollTimer); pollTimer = null; }
      }
      function connect() {
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        try {
          socket = new WebSocket(scheme + window.location.host + options.path);
        } catch (error) {
          options.setStatus("polling", "No live connection: refreshing every " + options.pollMs / 1000 + " s");
          options.refresh();
          startPolling();
          return;
        }
        socket.addEventListener("open", function () {
          retryMs = 2000;
          stopPolling();
          options.setStatus("socket", "Live");
        });
        socket.addEventListener("message", function (event) {
          var message;
          try { message = JSON.parse(event.data); } catch (error) { return; }
          if (options.signals.indexOf(message.type) !== -1) { options.refresh(); }
        });
        socket.addEventListener("close", function (event) {
          socket = null;
          if (event.code === 4403) {
            stopPolling();
            options.setStatus("closed", "Not live: your login has ended; reload the page to log in again.");
            return;
          }
          if (refreshOnDisconnect()) { options.refresh(); }
          startPolling();
          options.setStatus("polling", "Reconnecting… (refreshing every " + options.pollMs / 1000 + " s meanwhile)");
          window.setTimeout(connect, retryMs);
          retryMs = Math.min(retryMs * 2, 60000);
        });
      }
      connect();
    }
  };
}());
