/* Vox populi: ask the questions the server lists; send every estimate as one answer sheet info. */
/* global $, dallinger */
(function () {
  "use strict";

  var nodeId, keys = [];

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  function showQuestions(questions) {
    questions.forEach(function (question) {
      keys.push(question.key);
      var item = $("<li></li>").appendTo("#questions");
      $("<label></label>").attr("for", question.key).text(question.text).appendTo(item);
      $("<input type='number' min='0' max='100' step='any' required>").attr({ id: question.key, name: question.key }).appendTo(item);
    });
    $("#loading").prop("hidden", true);
    $("#estimates").prop("hidden", false);
  }

  $(function () {
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      $.getJSON("/vox_populi/questions").done(function (data) { showQuestions(data.questions); }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: no place is left for this participant.
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });

    $("#estimates").on("submit", function (event) {
      event.preventDefault();
      var sheet = {};
      keys.forEach(function (key) { sheet[key] = Number($("#" + key).val()); });
      $("#submit-estimates").prop("disabled", true);
      dallinger.createInfo(nodeId, { contents: JSON.stringify(sheet), info_type: "Info" }).done(finish).fail(dallinger.error);
    });
  });
})();
