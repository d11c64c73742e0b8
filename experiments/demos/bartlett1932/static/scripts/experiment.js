/* Bartlett (1932): read the story passed down the chain, then retell it from memory. */
/* global $, dallinger */
(function () {
  "use strict";

  var myNodeId;

  function showStory(story) {
    $("#loading").prop("hidden", true);
    $("#story").text(story);
    $("#stimulus").prop("hidden", false);
    $("#finish-reading").trigger("focus");
  }

  function askForRetelling() {
    $("#stimulus").prop("hidden", true);
    $("#response-form").prop("hidden", false);
    $("#reproduction").trigger("focus");
  }

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  $(function () {
    dallinger.preventExit = true;
    dallinger.createAgent().done(function (response) {
      myNodeId = response.node.id;
      dallinger.getReceivedInfos(myNodeId).done(function (received) {
        showStory(received.infos[0].contents);
      }).fail(dallinger.error);
    }).fail(function (rejection) {
      // 403: no place is left in the chain for this participant.
      if (rejection.status === 403) {
        finish();
      } else {
        dallinger.error(rejection);
      }
    });

    $("#finish-reading").on("click", askForRetelling);

    $("#reproduction-form").on("submit", function (event) {
      event.preventDefault();
      var text = $("#reproduction").val().trim();
      if (!text) { return; }
      $("#submit-response").prop("disabled", true);
      dallinger.createInfo(myNodeId, { contents: text, info_type: "Info" })
        .done(finish)
        .fail(dallinger.error);
    });
  });
})();
