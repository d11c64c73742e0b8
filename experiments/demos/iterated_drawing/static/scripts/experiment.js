/* Iterated drawing: look at the drawing passed down the chain, then draw it from memory. */
/* global $, dallinger */
(function () {
  "use strict";

  var myNodeId, strokes = [], drawing = false, canvas, pen;

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return [Math.round((event.clientX - box.left) * canvas.width / box.width),
            Math.round((event.clientY - box.top) * canvas.height / box.height)];
  }

  function redraw() {
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.strokeStyle = "#000";
    pen.lineWidth = 2;
    strokes.forEach(function (stroke) {
      pen.beginPath();
      stroke.forEach(function (xy, i) { if (i) { pen.lineTo(xy[0], xy[1]); } else { pen.moveTo(xy[0], xy[1]); } });
      pen.stroke();
    });
    $("#submit-drawing").prop("disabled", strokes.length === 0);
  }

  function startDrawing() {
    canvas = document.getElementById("canvas");
    pen = canvas.getContext("2d");
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      strokes.push([point(event)]);
      redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (drawing) { strokes[strokes.length - 1].push(point(event)); redraw(); }
    });
    canvas.addEventListener("pointerup", function () { drawing = false; });
    redraw();
  }

  function showDrawing(contents) {
    var image = "";
    try { image = JSON.parse(contents).image || ""; } catch (ignored) { image = ""; }
    // Only a picture may be shown: the contents came from another participant.
    if (image.indexOf("data:image/") === 0) { $("#picture").attr("src", image); }
    $("#loading").prop("hidden", true);
    $("#stimulus").prop("hidden", false);
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  $(function () {
    dallinger.preventExit = true;
    $("#finish-looking").on("click", function () {
      $("#stimulus").prop("hidden", true);
      $("#response").prop("hidden", false);
      startDrawing();
    });
    $("#clear-drawing").on("click", function () { strokes = []; redraw(); });
    $("#submit-drawing").on("click", function () {
      $("#submit-drawing, #clear-drawing").prop("disabled", true);
      var contents = JSON.stringify({ image: canvas.toDataURL("image/png"), strokes: strokes });
      dallinger.createInfo(myNodeId, { contents: contents, info_type: "Drawing" }).done(finish).fail(dallinger.error);
    });
    dallinger.createAgent().done(function (response) {
      myNodeId = response.node.id;
      dallinger.getReceivedInfos(myNodeId).done(function (received) {
        showDrawing(received.infos[0].contents);
      }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: no place is left in the chain for this participant.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  });
})();
