/* The quorum game's page: wait for a group over the waiting room's socket, then play one move
   and hear the group's moves and total on the group's own channel. */
(function () {
  "use strict";
  var me = String(dallinger.identity.participantId);
  var node = null, networkId = null, waiting = null, game = null;
  var shown = {};

  function status(text) { $("#status").text(text); }

  function finish() {
    if (waiting) { waiting.close(); }
    if (game) { game.close(); }
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  function showMove(infoId, contents) {
    if (shown[infoId]) { return; }
    shown[infoId] = true;
    $("<li>").text("A member played " + contents + ".").appendTo("#moves");
  }

  function heardFromGroup(payload) {
    var data = JSON.parse(payload);
    if (data.type === "move") { showMove(data.info_id, data.contents); }
    if (data.type === "replaced") { status("A member left; a computer player took their place."); }
    if (data.type === "round_over") {
      status("Your group's total is " + data.total + ".");
      $("#finish").prop("disabled", false);
    }
  }

  // The group's channel admits the group's members only, so it is opened once this participant
  // has their place in the group. Its snapshot brings the moves made before it opened.
  function play() {
    var moved = false;
    var handlers = {
      onOpen: function () {
        if (waiting) { waiting.close(); waiting = null; }  // the waiting room is over
        if (!moved) { $("#move-form").prop("hidden", false); }
      },
      dallinger_control: function (payload) {
        var data = JSON.parse(payload);
        if (data.type !== "snapshot") { return; }
        $.each(data.infos || [], function (i, info) {
          showMove(info.id, info.contents);
          if (info.origin_id === node.id) { moved = true; $("#move-form").prop("hidden", true); }
        });
      }
    };
    handlers[dallinger.groupChannel(networkId)] = heardFromGroup;
    game = dallinger.openSocket([dallinger.groupChannel(networkId)], handlers);
  }

  function grouped(id, nodeId) {
    if (networkId !== null) { return; }
    networkId = id;
    status("Your group is complete.");
    if (nodeId) {  // back after a reload: the node exists already
      node = { id: nodeId, network_id: id };
      play();
      return;
    }
    dallinger.createAgent().done(function (response) {
      node = response.node;
      play();
    }).fail(function (rejection) {
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  }

  waiting = dallinger.openSocket(["quorum"], {
    quorum: function (payload) {
      var data = JSON.parse(payload);
      var named = $.map(data.participant_ids || [], String).indexOf(me) !== -1;
      if (data.type === "group" && named) { grouped(data.network_id, null); }
      if (data.type === "released" && named) {
        status("No group could be formed in time. Thank you: you will be paid for waiting.");
        $("#finish").prop("disabled", false);
      }
    },
    dallinger_control: function (payload) {
      var data = JSON.parse(payload);
      if (data.type === "snapshot" && data.network_id) { grouped(data.network_id, data.node_id); }
    }
  });

  $("#move-form").on("submit", function (event) {
    event.preventDefault();
    $("#move").prop("disabled", true);
    dallinger.createInfo(node.id, { contents: String($("#number").val()), info_type: "Info" })
      .fail(function (rejection) { dallinger.error(rejection); });
  });
  $("#finish").on("click", finish);

  dallinger.preventExit = true;
}());
