/* 2048: play with the arrow keys; every position is recorded, in order, as a State info. */
/* global $, dallinger, Rules2048 */
(function () {
  "use strict";

  var KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
  var nodeId, board, score = 0, playing = false;
  var saved = $.Deferred().resolve().promise(), reported = false;

  // A failed send fails every send queued after it: report the first only.
  function reportOnce(rejection) {
    if (!reported) { reported = true; dallinger.error(rejection); }
  }

  function record(move) {
    var state = JSON.stringify({ move: move, board: board, score: score });
    // Each position is sent after the one before, so the record keeps the order of play.
    saved = saved.then(function () {
      return dallinger.createInfo(nodeId, { contents: state, info_type: "State" });
    });
    saved.fail(reportOnce);
  }

  function draw() {
    var tiles = $("#board").children();
    board.forEach(function (row, r) {
      row.forEach(function (value, c) {
        var tile = tiles.eq(r * 4 + c);
        tile.text(value || "").toggleClass("big", value >= 8);
        if (value) { tile.attr("data-value", value); } else { tile.removeAttr("data-value"); }
      });
    });
    $("#score").text(score);
  }

  function play(move) {
    if (!playing || !Rules2048.changes(board, move)) { return; }
    var slid = Rules2048.slide(board, move);
    board = Rules2048.addTile(slid.board);
    score += slid.points;
    record(move);
    draw();
    if (!Rules2048.movesLeft(board)) {
      playing = false;
      $("#game-over").prop("hidden", false);
    }
  }

  function finish() {
    playing = false;
    $("#finish").prop("disabled", true);
    saved.done(function () {
      dallinger.allowExit();
      dallinger.goToPage("questionnaire");
    });
  }

  $(function () {
    for (var cell = 0; cell < 16; cell += 1) { $("<div class='tile'></div>").appendTo("#board"); }
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      board = Rules2048.newBoard();
      playing = true;
      record(null);
      draw();
      $("#finish").prop("disabled", false).on("click", finish);
      $("#board").trigger("focus");
    }).fail(function (rejection) {
      // 403: no place is left for this participant.
      if (rejection.status === 403) { dallinger.allowExit(); dallinger.goToPage("questionnaire"); } else { dallinger.error(rejection); }
    });
    $("#board").on("keydown", function (event) {
      if (KEYS[event.key]) {
        event.preventDefault();
        play(KEYS[event.key]);
      }
    });
  });
})();
