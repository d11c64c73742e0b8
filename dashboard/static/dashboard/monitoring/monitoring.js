/* The Monitoring page: its filters and pages, its data (fetched from the data endpoint) and its
 * live updates. The page's socket says when the record changed (at once when it opens: the cue
 * for the first fetch, so no change falls between the two), and the page then fetches its data
 * again; it polls slowly only while the socket cannot be open. */
(function () {
  "use strict";

  var render = window.DashboardMonitoring.render;
  // How often the data is fetched while the socket cannot be open (settings.DASHBOARD_FALLBACK_POLL_SECONDS).
  var FALLBACK_POLL_MS = Math.max(0.2, parseFloat(document.getElementById("monitoring")
    .getAttribute("data-poll-seconds")) || 20) * 1000;
  var KIND_TYPES = {network: "Network", node: "Node", info: "Info", vector: "Vector", transmission: "Transmission",
                    transformation: "Transformation"};

  var settings = JSON.parse(document.getElementById("monitoring-settings").textContent);
  var state = {roles: [], collapsed: false, transformations: false, page: 1, nodePages: {}, infos: {}};
  var last = null;  // the last data received
  var graph = null;

  function byId(id) { return document.getElementById(id); }

  function setStatus(mode, text) {
    var status = byId("live-status");
    status.setAttribute("data-live", mode);
    status.textContent = text;
  }

  function query() {
    var parameters = new URLSearchParams();
    state.roles.forEach(function (role) { parameters.append("network_roles", role); });
    if (state.collapsed) { parameters.set("collapsed", "true"); }
    if (state.transformations) { parameters.set("transformations", "true"); }
    if (state.page > 1) { parameters.set("page", String(state.page)); }
    Object.keys(state.nodePages).forEach(function (network) {
      if (state.nodePages[network] > 1) { parameters.append("node_page", network + ":" + state.nodePages[network]); }
    });
    Object.keys(state.infos).forEach(function (network) { parameters.append("infos", network); });
    return parameters.toString();
  }

  /* Fetches run one at a time; a change announced meanwhile fetches again once it ends. */
  var fetching = false, again = false;
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    again = false;
    var search = query();
    fetch(settings.dataUrl + (search ? "?" + search : ""), {credentials: "same-origin",
                                                            headers: {Accept: "application/json"}})
      .then(function (response) {
        if (response.redirected || !(response.headers.get("Content-Type") || "").startsWith("application/json")) {
          throw new Error("Your login has ended: reload the page to log in again.");
        }
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.message || "The data could not be loaded."); }
          return body;
        });
      })
      .then(show, function (error) { problems([String(error.message || error)]); })
      .then(function () {
        fetching = false;
        if (again) { refresh(); }
      });
  }

  function problems(messages) {
    var list = byId("monitoring-problems");
    render.clear(list);
    messages.forEach(function (message) { list.appendChild(render.element("li", null, message)); });
    list.hidden = !messages.length;
  }

  function show(data) {
    last = data;
    problems(data.problems || []);
    if (!graph) { graph = new window.DashboardMonitoring.Graph(byId("monitoring-graph"), settings.visOptions, select); }
    graph.show(data.graph);
    roleFilter(data.roles || []);
    networksTable(data.graph);
    render.statistics(byId("experiment-statistics"), data.experiment_statistics || {});
    render.payments(byId("payments"), data.payments || {});
    render.chart(byId("participants-chart"), data.participants_over_time || {});
    var shown = data.graph.networks.length;
    var first = (data.graph.page - 1) * data.graph.per_page;
    byId("networks-range").textContent = data.graph.total ?
      "Networks " + (first + 1) + "–" + (first + shown) + " of " + data.graph.total : "No networks";
    byId("networks-previous").disabled = data.graph.page <= 1;
    byId("networks-next").disabled = first + shown >= data.graph.total;
    byId("monitoring").setAttribute("data-updated", new Date().toISOString());
  }

  function roleFilter(roles) {
    var box = byId("role-filter");
    var names = roles.map(function (row) { return String(row.role); });
    var current = Array.prototype.map.call(box.querySelectorAll("input"), function (input) { return input.value; });
    box.hidden = names.length < 2;
    if (current.join("\u0000") === names.join("\u0000")) { return; }
    Array.prototype.slice.call(box.querySelectorAll("label")).forEach(function (label) { box.removeChild(label); });
    roles.forEach(function (row) {
      var label = render.element("label");
      var input = render.element("input");
      input.type = "checkbox";
      input.value = String(row.role);
      input.checked = state.roles.indexOf(input.value) >= 0;
      input.addEventListener("change", function () {
        state.roles = Array.prototype.filter.call(box.querySelectorAll("input"), function (item) { return item.checked; })
          .map(function (item) { return item.value; });
        state.page = 1;
        refresh();
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + row.role + " (" + row.count + ")"));
      box.appendChild(label);
    });
  }

  function button(text, label, action, disabled) {
    var made = render.element("button", "button small", text);
    made.type = "button";
    made.setAttribute("aria-label", label);
    made.disabled = Boolean(disabled);
    made.addEventListener("click", action);
    return made;
  }

  function networksTable(given) {
    var body = byId("networks-table").querySelector("tbody");
    render.clear(body);
    var perPage = given.nodes_per_page || given.nodes.length || 1;
    given.networks.forEach(function (network) {
      var id = network.id;
      var row = render.element("tr");
      row.setAttribute("data-network", String(id));
      var name = render.element("td");
      name.appendChild(button(String(id), "Details of network " + id, function () { select("network:" + id); }));
      name.appendChild(document.createTextNode(" " + network.type));
      row.appendChild(name);
      row.appendChild(render.element("td", null, network.role));
      var size = (network.n_alive_nodes || 0) + (network.n_failed_nodes || 0);
      // An experiment's own structure says how many nodes it gave for each network.
      var nodeCount = given.experiment_defined ? ((given.node_totals || {})[String(id)] || 0) : size;
      row.appendChild(render.element("td", null, network.n_alive_nodes + " / " + network.max_size +
        (network.n_failed_nodes ? " (+" + network.n_failed_nodes + " failed)" : "")));
      row.appendChild(render.element("td", null, network.failed ? "failed" : (network.full ? "full" : "open")));
      var infos = render.element("td");
      var showing = Boolean(state.infos[id]);
      infos.appendChild(document.createTextNode(network.n_completed_infos + " "));
      if (!given.experiment_defined) {
        infos.appendChild(button(showing ? "hide" : "show", (showing ? "Hide" : "Show") + " the infos of network " + id,
          function () {
            if (state.infos[id]) { delete state.infos[id]; } else { state.infos[id] = true; }
            refresh();
          }));
      }
      row.appendChild(infos);
      var pages = render.element("td", "node-pages");
      var page = state.nodePages[id] || 1;
      var count = Math.max(1, Math.ceil(nodeCount / perPage));
      if (state.collapsed || count === 1) {
        pages.textContent = "all";
      } else {
        pages.appendChild(button("◀", "Previous nodes of network " + id, function () {
          state.nodePages[id] = page - 1;
          refresh();
        }, page <= 1));
        pages.appendChild(render.element("span", null, " " + ((page - 1) * perPage + 1) + "–" +
          Math.min(nodeCount, page * perPage) + " of " + nodeCount + " "));
        pages.appendChild(button("▶", "Next nodes of network " + id, function () {
          state.nodePages[id] = page + 1;
          refresh();
        }, page >= count));
      }
      row.appendChild(pages);
      body.appendChild(row);
    });
    if (given.truncated) {
      var note = render.element("tr");
      var cell = render.element("td", "help", "The experiment's structure has more vectors, infos or transformations for these nodes than the graph shows.");
      cell.colSpan = 6;
      note.appendChild(cell);
      body.appendChild(note);
    }
  }

  /* Show the details of the graph element `picked` ("node:12", "vector:3"...). */
  function select(picked) {
    var kind = picked.split(":")[0];
    var objectType = KIND_TYPES[kind];
    if (!objectType) { return; }
    var id = picked.slice(kind.length + 1);
    var target = byId("details-body");
    byId("details-placeholder").hidden = true;
    target.setAttribute("data-loading", picked);
    fetch(settings.detailsUrl + encodeURIComponent(objectType) + "/" + encodeURIComponent(id) + "/",
          {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (target.getAttribute("data-loading") !== picked) { return; }  // another was clicked since
        if (answer.status !== "success") {
          render.clear(target);
          target.appendChild(render.element("p", "errornote", answer.message || "No details."));
        } else {
          render.details(target, answer);
        }
        target.setAttribute("data-shown", picked);
      })
      .catch(function () {
        render.clear(target);
        target.appendChild(render.element("p", "errornote", "The details could not be loaded."));
      });
  }

  function bindControls() {
    byId("collapsed").addEventListener("change", function (event) {
      state.collapsed = event.target.checked;
      refresh();
    });
    byId("transformations").addEventListener("change", function (event) {
      state.transformations = event.target.checked;
      refresh();
    });
    byId("networks-previous").addEventListener("click", function () {
      state.page = Math.max(1, state.page - 1);
      refresh();
    });
    byId("networks-next").addEventListener("click", function () {
      state.page += 1;
      refresh();
    });
  }

  bindControls();
  // Live over the socket; while it cannot pass, polled slowly so the page stays current.
  window.DashboardLive.follow({
    path: settings.livePath, pollMs: FALLBACK_POLL_MS, signals: ["changed"], refresh: refresh, setStatus: setStatus,
    refreshOnDisconnect: function () { return last === null; }
  });
  window.DashboardMonitoring.page = {
    refresh: refresh,
    select: select,
    last: function () { return last; },
    graph: function () { return graph; }
  };
}());
