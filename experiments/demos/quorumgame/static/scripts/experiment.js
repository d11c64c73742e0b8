/* The quorum game's page: wait for a group over the waiting room's socket, play one move,
   hear the group's moves and total over the experiment's channel. */
(function () {
  "use strict";
  var CHANNEL = "quorumgame";
  var me = String(dallinger.identity.participantId);
  var node = null, networkId = null, socket = null;

  function status(text) { $("#status").text(text); }

  function finish() {
    if (socket) { socket.close(); }
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  function showMove(data) {
    $("<li>").text("A member played " + data.contents + ".").appendTo("#moves");
  }

  function grouped(id) {
    if (networkId !== null) { return; }
    networkId = id;
    status("Your group is complete.");
    dallinger.createAgent().done(function (response) {
      node = response.node;
      $("#move-form").prop("hidden", false);
    }).fail(function (rejection) {
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  }

  var handlers = {
    quorum: function (payload) {
      var data = JSON.parse(payload);
      var named = $.map(data.participant_ids || [], String).indexOf(me) !== -1;
      if (data.type === "group" && named) { grouped(data.network_id); }
      if (data.type === "released" && named) {
        status("No group could be formed in time. Thank you: you will be paid for waiting.");
        $("#finish").prop("disabled", false);
      }
    },
    dallinger_control: function (payload) {
      var data = JSON.parse(payload);
      if (data.type === "snapshot" && data.network_id) { grouped(data.network_id); }
    }
  };
  handlers[CHANNEL] = function (payload) {
    var data = JSON.parse(payload);
    if (data.network_id !== networkId) { return; }
    if (data.type === "move") { showMove(data); }
    if (data.type === "replaced") { status("A member left; a computer player took their place."); }
    if (data.type === "round_over") {
      status("Your group's total is " + data.total + ".");
      $("#finish").prop("disabled", false);
    }
  };

  $("#move-form").on("submit", function (event) {
    event.preventDefault();
    $("#move").prop("disabled", true);
    dallinger.createInfo(node.id, { contents: String($("#number").val()), info_type: "Info" })
      .fail(function (rejection) { dallinger.error(rejection); });
  });
  $("#finish").on("click", finish);

  dallinger.preventExit = true;
  socket = dallinger.openSocket(["quorum", CHANNEL], handlers);
}());
