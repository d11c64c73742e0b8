/* Snake: steer with the arrow keys; the whole game (seed, turns, ticks, score) is recorded as one info. */
/* global $, dallinger, SnakeGame */
(function () {
  "use strict";

  var KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
  var CELL = 20, TICK_MS = 150;
  var nodeId, game, seed, timer, wanted = null, turns = [];

  function draw() {
    var context = document.getElementById("board").getContext("2d");
    context.fillStyle = "#1d2b1f";
    context.fillRect(0, 0, SnakeGame.WIDTH * CELL, SnakeGame.HEIGHT * CELL);
    context.fillStyle = "#e4572e";
    context.fillRect(game.food[0] * CELL + 3, game.food[1] * CELL + 3, CELL - 6, CELL - 6);
    context.fillStyle = "#8bd450";
    game.body.forEach(function (cell) { context.fillRect(cell[0] * CELL + 1, cell[1] * CELL + 1, CELL - 2, CELL - 2); });
    $("#score").text(game.score);
  }

  function step() {
    if (wanted && game.canTurn(wanted)) {
      game.direction = wanted;
      turns.push([game.ticks + 1, wanted]);
    }
    wanted = null;
    game.tick();
    draw();
    if (game.crashed) { end("crash"); }
  }

  function end(how) {
    window.clearInterval(timer);
    $("#stop").prop("disabled", true);
    $("#game-over").prop("hidden", false);
    var record = { seed: seed, turns: turns, ticks: game.ticks, ended: how, score: game.score };
    dallinger.createInfo(nodeId, { contents: JSON.stringify(record), info_type: "Info" }).done(function () {
      $("#finish").prop("disabled", false).on("click", function () {
        dallinger.allowExit();
        dallinger.goToPage("questionnaire");
      });
    }).fail(dallinger.error);
  }

  $(function () {
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      seed = 1 + Math.floor(Math.random() * (SnakeGame.MODULUS - 2));
      game = new SnakeGame.Game(seed);
      draw();
      $("#board").trigger("focus");
      timer = window.setInterval(step, TICK_MS);
      $("#stop").prop("disabled", false).on("click", function () { end("stopped"); });
    }).fail(function (rejection) {
      // 403: no place is left for this participant.
      if (rejection.status === 403) { dallinger.allowExit(); dallinger.goToPage("questionnaire"); } else { dallinger.error(rejection); }
    });
    $("#board").on("keydown", function (event) {
      if (KEYS[event.key]) {
        event.preventDefault();
        wanted = KEYS[event.key];
      }
    });
  });
})();
