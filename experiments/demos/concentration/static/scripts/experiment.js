/* Concentration: turn over two cards a turn; every turn is recorded, in order, as an info. */
/* global $, dallinger */
(function () {
  "use strict";

  // The same faces as game.py, which checks recorded games.
  var FACES = ["sun", "moon", "star", "tree", "fish", "bird", "boat", "key"];
  var PICTURES = { sun: "☀ sun", moon: "☾ moon", star: "★ star", tree: "♣ tree", fish: "≈ fish", bird: "∨ bird", boat: "⛵ boat", key: "⚷ key" };
  var SHOW_MISMATCH_MS = 900;
  var nodeId, deck, open = [], matched = 0, turns = 0;
  var saved = $.Deferred().resolve().promise(), reported = false;

  // A failed send fails every send queued after it: report the first only.
  function reportOnce(rejection) {
    if (!reported) { reported = true; dallinger.error(rejection); }
  }

  function shuffled(faces) {
    var cards = faces.concat(faces);
    for (var index = cards.length - 1; index > 0; index -= 1) {
      var other = Math.floor(Math.random() * (index + 1));
      var kept = cards[index];
      cards[index] = cards[other];
      cards[other] = kept;
    }
    return cards;
  }

  function record(cards) {
    var turn = JSON.stringify({ turn: turns, cards: cards, faces: [deck[cards[0]], deck[cards[1]]] });
    // Turns are sent one after the other, so the record keeps the order of play.
    saved = saved.then(function () { return dallinger.createInfo(nodeId, { contents: turn, info_type: "Info" }); });
    saved.fail(reportOnce);
  }

  function hide(card) {
    $("#card-" + card).text("").removeAttr("data-face");
  }

  function setFaceDownEnabled(enabled) {
    $(".card").not(".matched").not("[data-face]").prop("disabled", !enabled);
  }

  function turnOver(card) {
    var button = $("#card-" + card);
    button.attr("data-face", deck[card]).text(PICTURES[deck[card]]).prop("disabled", true);
    open.push(card);
    if (open.length < 2) { return; }
    var pair = open;
    open = [];
    turns += 1;
    $("#turns").text(turns);
    record(pair);
    if (deck[pair[0]] === deck[pair[1]]) {
      $("#card-" + pair[0] + ", #card-" + pair[1]).addClass("matched");
      matched += 2;
      if (matched === deck.length) { gameOver(); }
      return;
    }
    setFaceDownEnabled(false);
    window.setTimeout(function () {
      hide(pair[0]);
      hide(pair[1]);
      setFaceDownEnabled(true);
    }, SHOW_MISMATCH_MS);
  }

  function gameOver() {
    $("#game-over").prop("hidden", false);
    saved.done(function () {
      $("#finish").prop("disabled", false).on("click", function () {
        dallinger.allowExit();
        dallinger.goToPage("questionnaire");
      });
    });
  }

  $(function () {
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      deck = shuffled(FACES);
      deck.forEach(function (face, card) {
        $("<button type='button' class='card'></button>").attr("id", "card-" + card)
          .attr("aria-label", "card " + (card + 1)).on("click", function () { turnOver(card); }).appendTo("#cards");
      });
    }).fail(function (rejection) {
      // 403: no place is left for this participant.
      if (rejection.status === 403) { dallinger.allowExit(); dallinger.goToPage("questionnaire"); } else { dallinger.error(rejection); }
    });
  });
})();
