/* The colour-naming page: one node, one info with the colours named, then the questionnaire. */
/* global dallinger, reqwest, store, Spinner, ReconnectingWebSocket */
window.dallingerLibraries = {
  reqwest: typeof reqwest === "function",
  store: typeof store === "object" && typeof store.set === "function",
  Spinner: typeof Spinner === "function",
  ReconnectingWebSocket: typeof ReconnectingWebSocket === "function"
};

function nameColours() {
  $("#name-colours").prop("disabled", true);
  dallinger.createAgent().done(function (response) {
    var named = $("#colours li").map(function () { return $(this).text(); }).get().join(",");
    dallinger.createInfo(response.node.id, { contents: named, info_type: "Info" }).done(function () {
      dallinger.goToPage("questionnaire");
    }).fail(dallinger.error);
  }).fail(dallinger.error);
}
