/* Push the button: one press records an Info for the participant's node. */
/* global $, dallinger */
(function () {
  "use strict";

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  $(function () {
    dallinger.createAgent().done(function (response) {
      var nodeId = response.node.id;
      $("#push").prop("disabled", false).on("click", function () {
        $("#push").prop("disabled", true);
        dallinger.createInfo(nodeId, { contents: "Submitted", info_type: "Info" }).done(finish).fail(dallinger.error);
      });
    }).fail(function (rejection) {
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  });
})();
