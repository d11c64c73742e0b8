/* The Monitoring page's DOM building: values, details, statistics, payments and the chart.
 *
 * Everything shown comes from the record, and much of it was written by participants: it is
 * put into the page as text (textContent, DOM nodes), never parsed as HTML. The only HTML
 * shown is the experiment's own (its node_visualization_html / monitoring_panels hooks), in a
 * sandboxed frame where no script runs. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  /* An element with a class and text; children appended in order. */
  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined && text !== null) { made.textContent = String(text); }
    return made;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function isMapping(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Array.isArray(value.entries);
  }

  /* The entries of a mapping as the server sends it ({"entries": [[key, value], ...]}). */
  function entries(value) {
    return isMapping(value) ? value.entries : [];
  }

  function lookup(value, key) {
    var found = entries(value).filter(function (pair) { return pair[0] === key; });
    return found.length ? found[0][1] : undefined;
  }

  /* "N total, F failed (P%)" for a {count, failed} mapping, as Dallinger shows it; else null. */
  function countAndFailed(value) {
    var keys = entries(value).map(function (pair) { return pair[0]; }).sort();
    if (keys.length !== 2 || keys[0] !== "count" || keys[1] !== "failed") { return null; }
    var count = Number(lookup(value, "count")) || 0;
    var failed = Number(lookup(value, "failed")) || 0;
    var share = count ? " (" + Math.round((100 * failed) / count) + "%)" : "";
    var state = !failed ? "no-failures" : (failed === count ? "all-failures" : "some-failures");
    return element("span", state, count + " total, " + failed + " failed" + share);
  }

  /* Any plain value as DOM: mappings as definition lists, lists as lists, the rest as text. */
  function value(data) {
    if (isMapping(data)) {
      var pair = countAndFailed(data);
      if (pair) { return pair; }
      if (!data.entries.length) { return element("span", "empty", "(none)"); }
      var list = element("dl", "values");
      data.entries.forEach(function (entry) {
        list.appendChild(element("dt", null, entry[0]));
        var item = element("dd");
        item.appendChild(value(entry[1]));
        list.appendChild(item);
      });
      return list;
    }
    if (Array.isArray(data)) {
      if (!data.length) { return element("span", "empty", "(none)"); }
      var items = element("ul", "values");
      data.forEach(function (entry) {
        var item = element("li");
        item.appendChild(value(entry));
        items.appendChild(item);
      });
      return items;
    }
    if (data === null || data === undefined) { return element("span", "empty", "—"); }
    return element("span", "value", String(data));
  }

  /* The experiment's own HTML, in a frame that runs no script and has an origin of its own. */
  function experimentHtml(html, label) {
    var box = element("div", "experiment-html");
    box.appendChild(element("p", "help", label + " (the experiment's HTML, shown without scripts)"));
    var frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "");
    frame.setAttribute("title", label);
    frame.className = "experiment-html-frame";
    frame.srcdoc = html;
    box.appendChild(frame);
    return box;
  }

  function details(target, answer) {
    clear(target);
    target.appendChild(element("h3", null, answer.object_type + " " + answer.id));
    target.appendChild(value(answer.fields));
    if (answer.participant) {
      target.appendChild(element("h4", null, "Participant"));
      target.appendChild(value(answer.participant));
    }
    if (answer.problem) { target.appendChild(element("p", "errornote", answer.problem)); }
    if (answer.html) { target.appendChild(experimentHtml(answer.html, "Visualisation of " + answer.object_type + " " + answer.id)); }
  }

  function statistics(target, given) {
    clear(target);
    (given.statistics || []).forEach(function (panel) {
      var card = element("div", "statistics-card");
      card.appendChild(element("h3", null, panel[0]));
      card.appendChild(value(panel[1]));
      target.appendChild(card);
    });
    (given.panels_html || []).forEach(function (panel) {
      var card = element("div", "statistics-card");
      card.appendChild(element("h3", null, panel[0]));
      card.appendChild(experimentHtml(panel[1], panel[0]));
      target.appendChild(card);
    });
    if (!target.firstChild) { target.appendChild(element("p", "help", "The experiment shows no statistics.")); }
  }

  function table(headings, rows) {
    var made = element("table", "compact");
    var head = element("tr");
    headings.forEach(function (heading) { head.appendChild(element("th", null, heading)); });
    made.appendChild(element("thead")).appendChild(head);
    var body = made.appendChild(element("tbody"));
    rows.forEach(function (row) {
      var line = element("tr");
      row.forEach(function (cell) { line.appendChild(element("td", null, cell)); });
      body.appendChild(line);
    });
    return made;
  }

  function payments(target, given) {
    clear(target);
    var budget = given.budget || {};
    var currency = budget.currency ? " " + budget.currency : "";
    var used = budget.cap ? budget.committed + " of " + budget.cap + currency + " (" +
      Math.round(100 * Number(budget.fraction)) + "%)" : budget.committed + currency + " (no budget cap)";
    var summary = element("dl", "values budget");
    [["Budget used", used], ["Paid", budget.sent], ["Being paid", budget.in_flight], ["Unknown (check)", budget.unknown],
     ["Failed", budget.failed], ["Refused by a cap", budget.refused], ["Places waiting", budget.places_waiting]]
      .forEach(function (pair) {
        summary.appendChild(element("dt", null, pair[0]));
        summary.appendChild(element("dd", null, pair[1] === undefined ? "—" : pair[1]));
      });
    target.appendChild(summary);
    var ledger = given.ledger || [];
    if (!ledger.length) {
      target.appendChild(element("p", "help", "No payout on the ledger yet."));
      return;
    }
    target.appendChild(table(["Kind", "State", "Payouts", "Total"], ledger.map(function (row) {
      return [row.kind, row.state, row.count, row.total + " " + row.currency];
    })));
  }

  function svg(tag, attributes, text) {
    var made = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { made.setAttribute(name, attributes[name]); });
    if (text !== undefined) { made.textContent = String(text); }
    return made;
  }

  function shortTime(iso, unit) {
    var moment = new Date(iso);
    if (isNaN(moment.getTime())) { return String(iso); }
    var text = moment.toISOString();
    return unit === "day" ? text.slice(0, 10) : text.slice(5, 16).replace("T", " ");
  }

  /* Joined and finished participants, cumulated, as two lines over time (UTC). */
  function chart(target, given) {
    clear(target);
    var points = given.points || [];
    if (!points.length) {
      target.appendChild(element("p", "help", "No participant yet."));
      return;
    }
    var width = 420, height = 170, left = 36, right = 8, top = 10, bottom = 28;
    var highest = Math.max(1, points[points.length - 1].joined);
    var times = points.map(function (point) { return new Date(point.time).getTime(); });
    var first = times[0], span = Math.max(1, times[times.length - 1] - first);
    function x(index) { return left + ((times[index] - first) / span) * (width - left - right); }
    function y(count) { return top + (1 - count / highest) * (height - top - bottom); }
    var drawing = svg("svg", {viewBox: "0 0 " + width + " " + height, class: "chart", role: "img",
                              "aria-label": "Participants who joined and finished, over time"});
    drawing.appendChild(svg("line", {x1: left, y1: y(0), x2: width - right, y2: y(0), class: "axis"}));
    drawing.appendChild(svg("line", {x1: left, y1: top, x2: left, y2: y(0), class: "axis"}));
    drawing.appendChild(svg("text", {x: left - 4, y: y(highest) + 4, class: "label end"}, highest));
    drawing.appendChild(svg("text", {x: left - 4, y: y(0), class: "label end"}, 0));
    drawing.appendChild(svg("text", {x: left, y: height - 8, class: "label"}, shortTime(points[0].time, given.unit)));
    drawing.appendChild(svg("text", {x: width - right, y: height - 8, class: "label end"},
      shortTime(points[points.length - 1].time, given.unit) + " UTC"));
    ["joined", "finished"].forEach(function (series) {
      var path = points.map(function (point, index) {
        // A step line: a count holds until the next moment, and the last one to the right edge.
        var step = index ? "H" + x(index).toFixed(1) + "V" : "M" + x(index).toFixed(1) + ",";
        return step + y(point[series]).toFixed(1);
      }).join("") + "H" + (width - right);
      drawing.appendChild(svg("path", {d: path, class: "series " + series}));
    });
    target.appendChild(drawing);
    var legend = element("p", "chart-legend");
    var last = points[points.length - 1];
    legend.appendChild(element("span", "key joined", "joined: " + last.joined));
    legend.appendChild(element("span", "key finished", "finished: " + last.finished));
    target.appendChild(legend);
  }

  window.DashboardMonitoring = window.DashboardMonitoring || {};
  window.DashboardMonitoring.render = {
    element: element,
    clear: clear,
    value: value,
    details: details,
    statistics: statistics,
    payments: payments,
    chart: chart
  };
}());
