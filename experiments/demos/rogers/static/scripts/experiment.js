/* Rogers' paradox: say whether there are more blue or yellow dots, alone or from a hint. */
/* global $, dallinger */
(function () {
  "use strict";

  var DOT_COUNT = 80, SHOW_DOTS_MS = 1000, SHOW_HINT_MS = 2000;
  var COLOURS = { blue: "#428bca", yellow: "#fbb829" };
  var myNodeId, trial = 0, practiceTrials = 0, answering = false;

  function randomInteger(low, high) { return low + Math.floor(Math.random() * (high - low + 1)); }

  // Dots that do not overlap, a share `blueShare` of them blue, in random places.
  function drawDots(blueShare) {
    var canvas = document.getElementById("dots"), pen = canvas.getContext("2d"), dots = [];
    var blue = Math.round(blueShare * DOT_COUNT), tries = 0;
    while (dots.length < DOT_COUNT && tries < 100000) {
      tries += 1;
      var r = randomInteger(8, 16), x = randomInteger(r, canvas.width - r), y = randomInteger(r, canvas.height - r);
      var free = dots.every(function (dot) { return Math.hypot(dot.x - x, dot.y - y) >= dot.r + r; });
      if (free) { dots.push({ x: x, y: y, r: r }); }
    }
    pen.clearRect(0, 0, canvas.width, canvas.height);
    dots.forEach(function (dot, i) {
      pen.beginPath();
      pen.fillStyle = i < blue ? COLOURS.blue : COLOURS.yellow;
      pen.arc(dot.x, dot.y, dot.r, 0, 2 * Math.PI);
      pen.fill();
    });
  }

  function allowAnswer() {
    $("#dots, #hint").prop("hidden", true);
    $(".answer").prop("disabled", false);
    answering = true;
  }

  function showTrial(strategy, received) {
    trial += 1;
    $("#trial-number").text(trial);
    $("#practice-note").text(trial <= practiceTrials ? "This is a practice trial." : "");
    if (strategy === "social") {
      var hint = received.filter(function (info) { return info.type === "meme"; })[0];
      $("#hint").text("Someone answered: more " + (hint.contents === "blue" ? "blue" : "yellow") + ".").prop("hidden", false);
      setTimeout(allowAnswer, SHOW_HINT_MS);
    } else {
      var state = received.filter(function (info) { return info.type === "state"; })[0];
      drawDots(Number(state.contents));
      $("#dots").prop("hidden", false);
      setTimeout(allowAnswer, SHOW_DOTS_MS);
    }
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  function nextTrial() {
    dallinger.createAgent().done(function (response) {
      myNodeId = response.node.id;
      dallinger.getInfos(myNodeId, { info_type: "LearningGene" }).done(function (genes) {
        dallinger.getReceivedInfos(myNodeId).done(function (received) {
          showTrial(genes.infos[0].contents, received.infos);
        }).fail(dallinger.error);
      }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: a trial in every network is done.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  }

  function answer(colour) {
    if (!answering) { return; }
    answering = false;
    $(".answer").prop("disabled", true);
    dallinger.createInfo(myNodeId, { contents: colour, info_type: "Meme" }).done(nextTrial).fail(dallinger.error);
  }

  $(function () {
    dallinger.preventExit = true;
    $("#more-blue").on("click", function () { answer("blue"); });
    $("#more-yellow").on("click", function () { answer("yellow"); });
    $(document).on("keydown", function (event) {
      if (event.key === "f" || event.key === "F") { answer("blue"); }
      if (event.key === "j" || event.key === "J") { answer("yellow"); }
    });
    dallinger.getExperimentProperty("practice_repeats").done(function (practice) {
      dallinger.getExperimentProperty("experiment_repeats").done(function (experiment) {
        practiceTrials = practice.practice_repeats;
        $("#trial-count").text(practice.practice_repeats + experiment.experiment_repeats);
        nextTrial();
      }).fail(dallinger.error);
    }).fail(dallinger.error);
  });
})();
