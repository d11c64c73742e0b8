/* The Monitoring graph on vis-network: roles, networks, nodes, vectors, and on request infos,
 * transmissions and transformations, kept in two vis DataSets that each refresh updates in
 * place (only what changed), so the view stays where the experimenter put it.
 *
 * Labels are drawn on the canvas as text; tooltips are DOM elements filled with textContent. */
(function () {
  "use strict";

  var render = window.DashboardMonitoring.render;

  var COLOURS = {
    role: "#6c757d", open: "#3a9d5d", full: "#264b73", networkFailed: "#b33",
    failed: "#d62728", source: "#ff7f0e", working: "#1f77b4", finished: "#2ca02c", other: "#8c8c8c",
    plain: "#9467bd", info: "#17becf", vector: "#4a78b5", pending: "#e0a030", received: "#2ca02c",
    transformation: "#c8c8c8", member: "#b0b0b0"
  };
  var FINISHED = ["submitted", "approved", "recruiter_submission_started"];

  /* Dallinger's layout (top to bottom, by the direction of the edges, no physics). */
  var DEFAULT_OPTIONS = {
    layout: {improvedLayout: false, hierarchical: {direction: "UD", sortMethod: "directed", nodeSpacing: 120,
                                                   treeSpacing: 200, levelSeparation: 110}},
    physics: false,
    interaction: {dragNodes: false, hover: true, tooltipDelay: 150},
    edges: {width: 2, smooth: false},
    nodes: {font: {size: 14}}
  };

  function nodeColour(node) {
    if (node.failed) { return COLOURS.failed; }
    if (node.source) { return COLOURS.source; }
    if (node.participant_id === null || node.participant_id === undefined) { return COLOURS.plain; }
    if (node.participant_status === "working") { return COLOURS.working; }
    return FINISHED.indexOf(node.participant_status) >= 0 ? COLOURS.finished : COLOURS.other;
  }

  /* A tooltip: lines of text, never HTML. */
  function tooltip(lines) {
    var box = render.element("div", "graph-tooltip");
    lines.forEach(function (line) { box.appendChild(render.element("div", null, line)); });
    return box;
  }

  function Graph(container, experimentOptions, onSelect) {
    this.container = container;
    this.nodes = new vis.DataSet();
    this.edges = new vis.DataSet();
    this.seen = {};  // item id -> its last description, to update only what changed
    // A shallow merge, as Dallinger's: each top-level key the experiment gives replaces ours.
    var options = Object.assign({}, DEFAULT_OPTIONS, experimentOptions || {});
    this.network = new vis.Network(container, {nodes: this.nodes, edges: this.edges}, options);
    this.network.on("click", function (event) {
      var picked = event.nodes.length ? event.nodes[0] : (event.edges.length ? event.edges[0] : null);
      if (picked !== null) { onSelect(String(picked)); }
    });
    this.fitted = false;
  }

  Graph.prototype.items = function (graph) {
    var nodes = [], edges = [];
    var roles = {}, shownNodes = {}, incoming = {}, shownPerNetwork = {};
    graph.nodes.forEach(function (node) {
      shownNodes[node.id] = true;
      shownPerNetwork[node.network_id] = (shownPerNetwork[node.network_id] || 0) + 1;
    });
    graph.vectors.forEach(function (vector) {
      if (shownNodes[vector.origin_id] && shownNodes[vector.destination_id]) { incoming[vector.destination_id] = true; }
    });
    graph.networks.forEach(function (network) {
      var role = network.role === null || network.role === undefined ? "(none)" : String(network.role);
      if (!roles[role]) {
        roles[role] = true;
        nodes.push({id: "role:" + role, label: role + " networks", shape: "box",
                    color: COLOURS.role, font: {color: "#fff"}});
      }
      var size = (network.n_alive_nodes || 0) + (network.n_failed_nodes || 0);
      var label = "network " + network.id + "\n" + network.type + " · " + size + " node" + (size === 1 ? "" : "s");
      nodes.push({id: "network:" + network.id, label: label, shape: "box",
                  color: network.failed ? COLOURS.networkFailed : (network.full ? COLOURS.full : COLOURS.open),
                  font: {color: "#fff"},
                  title: tooltip(["Network " + network.id + " (" + network.type + ")", "role: " + role,
                                  (network.full ? "full" : "open") + (network.failed ? ", failed" : ""),
                                  "alive nodes: " + network.n_alive_nodes + " of at most " + network.max_size,
                                  "failed nodes: " + network.n_failed_nodes,
                                  "infos: " + network.n_completed_infos + " (" + network.n_failed_infos + " failed)",
                                  "pending transmissions: " + network.n_pending_infos])});
      edges.push({id: "member:role:" + network.id, from: "role:" + role, to: "network:" + network.id,
                  color: COLOURS.member, width: 1});
      var hidden = size - (shownPerNetwork[network.id] || 0);
      if (hidden > 0 && !graph.experiment_defined) {
        nodes.push({id: "more:" + network.id, label: "… " + hidden + " more (see Networks)", shape: "text"});
        edges.push({id: "member:more:" + network.id, from: "network:" + network.id, to: "more:" + network.id,
                    color: COLOURS.member, width: 1, dashes: true});
      }
    });
    graph.nodes.forEach(function (node) {
      var kind = node.source ? "source" : "node";
      nodes.push({id: "node:" + node.id, label: node.type + " " + node.id, shape: node.source ? "diamond" : "dot",
                  size: 12, color: nodeColour(node),
                  title: tooltip([kind + " " + node.id + " (" + node.type + ")", "network " + node.network_id,
                                  node.participant_id === null || node.participant_id === undefined ? "no participant"
                                    : "participant " + node.participant_id + ": " + node.participant_status,
                                  node.failed ? "failed" : "alive"])});
      if (!incoming[node.id]) {
        // Where nothing leads to a node, its network does: every node hangs under its network.
        edges.push({id: "member:node:" + node.id, from: "network:" + node.network_id, to: "node:" + node.id,
                    color: COLOURS.member, width: 1, dashes: true});
      }
    });
    graph.vectors.forEach(function (vector) {
      if (!(shownNodes[vector.origin_id] && shownNodes[vector.destination_id])) { return; }
      edges.push({id: "vector:" + vector.id, from: "node:" + vector.origin_id, to: "node:" + vector.destination_id,
                  arrows: "to", color: vector.failed ? COLOURS.failed : COLOURS.vector});
    });
    var shownInfos = {};
    graph.infos.forEach(function (info) {
      if (!shownNodes[info.origin_id]) { return; }
      shownInfos[info.id] = true;
      nodes.push({id: "info:" + info.id, label: info.type + " " + info.id, shape: "box", size: 8,
                  color: info.failed ? COLOURS.failed : COLOURS.info, font: {size: 11},
                  title: tooltip(["info " + info.id + " (" + info.type + ")", "made by node " + info.origin_id,
                                  "click for its contents"])});
      edges.push({id: "made:" + info.id, from: "node:" + info.origin_id, to: "info:" + info.id, dashes: true,
                  color: info.failed ? COLOURS.failed : COLOURS.info, width: 1});
    });
    graph.transmissions.forEach(function (transmission) {
      if (!shownInfos[transmission.info_id] || !shownNodes[transmission.destination_id]) { return; }
      edges.push({id: "transmission:" + transmission.id, from: "info:" + transmission.info_id,
                  to: "node:" + transmission.destination_id, arrows: "to", dashes: [2, 4], width: 1,
                  color: transmission.failed ? COLOURS.failed
                    : (transmission.status === "received" ? COLOURS.received : COLOURS.pending)});
    });
    graph.transformations.forEach(function (transformation) {
      if (!shownInfos[transformation.info_in_id] || !shownInfos[transformation.info_out_id]) { return; }
      edges.push({id: "transformation:" + transformation.id, from: "info:" + transformation.info_in_id,
                  to: "info:" + transformation.info_out_id, arrows: "to", dashes: true,
                  color: transformation.failed ? "rgb(200,100,100)" : COLOURS.transformation});
    });
    return {nodes: nodes, edges: edges};
  };

  /* Make `dataset` hold exactly `items`, touching only those added, changed or gone. */
  Graph.prototype.sync = function (dataset, items) {
    var seen = this.seen, wanted = {}, changed = [];
    items.forEach(function (item) {
      wanted[item.id] = true;
      var title = item.title ? item.title.textContent : "";
      var description = JSON.stringify(Object.assign({}, item, {title: title}));
      if (seen[item.id] !== description) {
        seen[item.id] = description;
        changed.push(item);
      }
    });
    var gone = dataset.getIds().filter(function (id) { return !wanted[id]; });
    gone.forEach(function (id) { delete seen[id]; });
    if (gone.length) { dataset.remove(gone); }
    if (changed.length) { dataset.update(changed); }
  };

  Graph.prototype.show = function (graph) {
    var built = this.items(graph);
    this.sync(this.nodes, built.nodes);
    this.sync(this.edges, built.edges);
    this.container.setAttribute("data-nodes", String(this.nodes.length));
    this.container.setAttribute("data-edges", String(this.edges.length));
    this.container.setAttribute("data-record-nodes", String(graph.nodes.length));
    if (!this.fitted && this.nodes.length) {
      this.network.fit();
      this.fitted = true;
    }
  };

  window.DashboardMonitoring.Graph = Graph;
}());
