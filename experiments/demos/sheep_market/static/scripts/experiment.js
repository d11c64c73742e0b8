/* The sheep market: draw on the canvas; the PNG image and the strokes are sent as one info. */
/* global $, dallinger */
(function () {
  "use strict";

  var nodeId, context, strokes = [], drawing = null;

  function clear() {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, 300, 300);
    strokes = [];
    $("#submit-drawing").prop("disabled", true);
  }

  function point(event) {
    var box = event.target.getBoundingClientRect();
    return [Math.round(event.clientX - box.left), Math.round(event.clientY - box.top)];
  }

  function startStroke(event) {
    if (nodeId === undefined) { return; }
    drawing = [point(event)];
    strokes.push(drawing);
    event.target.setPointerCapture(event.pointerId);
  }

  function extendStroke(event) {
    if (!drawing) { return; }
    var from = drawing[drawing.length - 1], to = point(event);
    drawing.push(to);
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
    $("#submit-drawing").prop("disabled", false);
  }

  function send() {
    $("#submit-drawing, #clear").prop("disabled", true);
    var contents = JSON.stringify({ image: document.getElementById("canvas").toDataURL("image/png"), strokes: strokes });
    dallinger.createInfo(nodeId, { contents: contents, info_type: "Info" }).done(finish).fail(dallinger.error);
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  $(function () {
    var canvas = document.getElementById("canvas");
    context = canvas.getContext("2d");
    context.lineWidth = 2;
    context.lineCap = "round";
    context.strokeStyle = "#000";
    clear();
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      $("#clear").prop("disabled", false).on("click", clear);
      $("#submit-drawing").on("click", send);
    }).fail(function (rejection) {
      // 403: no place is left for this participant.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
    $(canvas).on("pointerdown", function (event) { startStroke(event.originalEvent); })
      .on("pointermove", function (event) { extendStroke(event.originalEvent); })
      .on("pointerup pointercancel", function () { drawing = null; });
  });
})();
