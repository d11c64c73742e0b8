/* Function learning: learn how two bar lengths relate, with feedback, then reproduce it. */
/* global $, dallinger */
(function () {
  "use strict";

  var CLOSE_ENOUGH = 4;  // a learning answer this close to the truth lets the participant go on
  var myNodeId, trials = [], trialIndex = 0, answers = { x: [], y: [] };

  function setBar(selector, value) {
    $(selector).css("width", value + "%");
  }

  function sample(values, count) {
    var copy = values.slice(), picked = [];
    while (picked.length < count && copy.length) {
      picked.push(copy.splice(Math.floor(Math.random() * copy.length), 1)[0]);
    }
    return picked;
  }

  // Learning trials are the pairs received; test trials are half old x values, half new ones.
  function buildTrials(pairs) {
    var learning = pairs.x.map(function (x, i) { return { x: x, y: pairs.y[i], learning: true }; });
    var unseen = [];
    for (var x = 1; x < 100; x++) { if (pairs.x.indexOf(x) === -1) { unseen.push(x); } }
    var half = Math.floor(pairs.x.length / 2);
    var testX = sample(pairs.x, half).concat(sample(unseen, pairs.x.length - half));
    var test = sample(testX, testX.length).map(function (x) { return { x: x, learning: false }; });
    return learning.concat(test);
  }

  function showTrial() {
    var trial = trials[trialIndex];
    $("#phase").text(trial.learning ? "Learning" : "Test");
    $("#trial-number").text(trialIndex + 1);
    setBar("#x-bar", trial.x);
    $("#y-value").val(50).trigger("input");
    $("#feedback-track").prop("hidden", true);
    $("#feedback-text").text("");
    $("#answer").prop("hidden", false).prop("disabled", false);
    $("#next").prop("hidden", true);
  }

  function answer() {
    var trial = trials[trialIndex], given = Number($("#y-value").val());
    if (!trial.learning) {
      answers.x.push(trial.x);
      answers.y.push(given);
      next();
      return;
    }
    setBar("#feedback-bar", trial.y);
    $("#feedback-track").prop("hidden", false);
    if (Math.abs(given - trial.y) < CLOSE_ENOUGH) {
      $("#feedback-text").text("Close enough.");
      $("#answer").prop("hidden", true);
      $("#next").prop("hidden", false).trigger("focus");
    } else {
      $("#feedback-text").text("The grey bar shows the right length. Try again.");
    }
  }

  function next() {
    trialIndex += 1;
    if (trialIndex < trials.length) { showTrial(); return; }
    $("#answer, #next").prop("disabled", true);
    dallinger.createInfo(myNodeId, { contents: JSON.stringify(answers), info_type: "Info" })
      .done(finish).fail(dallinger.error);
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  $(function () {
    dallinger.preventExit = true;
    $("#y-value").on("input", function () { setBar("#y-bar", $(this).val()); });
    $("#answer").on("click", answer);
    $("#next").on("click", next);
    dallinger.createAgent().done(function (response) {
      myNodeId = response.node.id;
      dallinger.getReceivedInfos(myNodeId).done(function (received) {
        trials = buildTrials(JSON.parse(received.infos[0].contents));
        $("#trial-count").text(trials.length);
        $("#loading").prop("hidden", true);
        $("#task").prop("hidden", false);
        showTrial();
      }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: no place is left in the chain for this participant.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  });
})();
