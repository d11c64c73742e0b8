/* MCMCP: pick which of two stick-figure animals looks more like a dog, trial after trial. */
/* global $, dallinger */
(function () {
  "use strict";

  var UNIT = 50;  // pixels per unit of the animals' measurements
  var myNodeId, swapped = false, trial = 0;

  function radians(degrees) { return degrees * Math.PI / 180; }

  // A stick figure: legs from the shoulder and the hip, a body, neck, head and tail.
  function drawAnimal(canvasId, animal) {
    var canvas = document.getElementById(canvasId), pen = canvas.getContext("2d");
    var shoulder = [175, 150], bodyLength = UNIT;
    var tilt = radians(animal.body_tilt);
    var hip = [shoulder[0] + Math.cos(tilt) * bodyLength, shoulder[1] + Math.sin(tilt) * bodyLength];
    var legHeight = animal.body_height * UNIT, spread = animal.foot_spread * UNIT / 2;
    var neckAngle = radians(animal.neck_angle + 90);
    var neckEnd = [shoulder[0] + Math.cos(neckAngle) * animal.neck_length * UNIT,
                   shoulder[1] + Math.sin(neckAngle) * animal.neck_length * UNIT];
    var headAngle = neckAngle - radians(animal.head_angle);
    var tailAngle = radians(animal.tail_angle - 90);

    function line(from, dx, dy) {
      pen.moveTo(from[0], from[1]);
      pen.lineTo(from[0] + dx, from[1] + dy);
    }

    pen.clearRect(0, 0, canvas.width, canvas.height);
    pen.lineWidth = 2;
    pen.beginPath();
    line(shoulder, -spread, legHeight);
    line(shoulder, spread, legHeight);
    line(shoulder, hip[0] - shoulder[0], hip[1] - shoulder[1]);
    line(hip, -spread, Math.max(legHeight - (hip[1] - shoulder[1]), 0));
    line(hip, spread, Math.max(legHeight - (hip[1] - shoulder[1]), 0));
    line(shoulder, neckEnd[0] - shoulder[0], neckEnd[1] - shoulder[1]);
    line(neckEnd, Math.cos(headAngle) * animal.head_length * UNIT, Math.sin(headAngle) * animal.head_length * UNIT);
    line(hip, Math.cos(tailAngle) * animal.tail_length * UNIT, Math.sin(tailAngle) * animal.tail_length * UNIT);
    pen.stroke();
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  // Choice 0 is the proposal (the newer animal), 1 the chain's current animal.
  function showTrial(infos) {
    var ordered = infos.slice().sort(function (a, b) { return b.id - a.id; });
    swapped = Math.random() < 0.5;
    drawAnimal("left-animal", JSON.parse(ordered[swapped ? 1 : 0].contents));
    drawAnimal("right-animal", JSON.parse(ordered[swapped ? 0 : 1].contents));
    trial += 1;
    $("#trial-number").text(trial);
    $(".choice").prop("disabled", false);
  }

  function nextTrial() {
    dallinger.createAgent().done(function (response) {
      myNodeId = response.node.id;
      dallinger.getInfos(myNodeId, { info_type: "AnimalInfo" }).done(function (answer) {
        showTrial(answer.infos);
      }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: this participant has no trials left.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  }

  function choose(side) {
    $(".choice").prop("disabled", true);
    var choice = swapped ? 1 - side : side;
    dallinger.post("/choice/" + myNodeId + "/" + choice).done(nextTrial).fail(dallinger.error);
  }

  $(function () {
    dallinger.preventExit = true;
    $("#left_button").on("click", function () { choose(0); });
    $("#right_button").on("click", function () { choose(1); });
    nextTrial();
  });
})();
