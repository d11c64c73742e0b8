/* The Logger tab: fetches the recent records for the chosen level and text, and fetches them
 * again whenever the dashboard's socket says something was logged; while the socket cannot be
 * open it reloads every `data-poll-seconds`. Records are written as text (textContent), never
 * as HTML. */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("logger-settings").textContent);
  var root = document.getElementById("content-main");
  var pollMs = Math.max(0.2, parseFloat(root.getAttribute("data-poll-seconds")) || 20) * 1000;
  var body = document.querySelector("#logger-records tbody");
  var table = document.getElementById("logger-records");
  var level = document.getElementById("logger-level");
  var search = document.getElementById("logger-search");
  var problem = document.getElementById("logger-problem");
  var status = document.getElementById("live-status");
  var fetches = 0;

  function setStatus(mode, text) {
    status.setAttribute("data-live", mode);
    status.textContent = text;
  }

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    td.textContent = text;
    return td;
  }

  function show(records) {
    var rows = document.createDocumentFragment();
    records.forEach(function (record) {
      var row = document.createElement("tr");
      row.className = "level-" + record.level;
      row.appendChild(cell(record.time.replace("T", " ").replace("+00:00", "")));
      row.appendChild(cell(record.level));
      row.appendChild(cell(record.logger));
      row.appendChild(cell(record.process));
      row.appendChild(cell(record.message, "logger-message"));
      rows.appendChild(row);
    });
    while (body.firstChild) { body.removeChild(body.firstChild); }
    body.appendChild(rows);
    table.setAttribute("data-count", String(records.length));
  }

  function refresh() {
    var query = new URLSearchParams({level: level.value, q: search.value});
    fetches += 1;
    table.setAttribute("data-fetches", String(fetches));
    return fetch(settings.dataUrl + "?" + query.toString(), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { throw new Error(answer.message || ("HTTP " + response.status)); }
          return answer;
        });
      })
      .then(function (answer) {
        problem.hidden = true;
        show(answer.records);
      }, function (error) {
        problem.textContent = "The records could not be loaded: " + String(error.message || error);
        problem.hidden = false;
      });
  }

  var typing = null;
  search.addEventListener("input", function () {
    window.clearTimeout(typing);
    typing = window.setTimeout(refresh, 300);
  });
  level.addEventListener("change", refresh);
  document.getElementById("logger-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
  });
  window.DashboardLive.follow({
    path: settings.livePath, pollMs: pollMs, signals: ["logged"], refresh: refresh, setStatus: setStatus
  });
}());
