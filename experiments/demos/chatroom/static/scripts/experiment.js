/* Chatroom: messages travel on the experiment channel "chatroom"; the server records them and
   tells who joined and left, and when the chat is over, on the group's own channel. */
/* global $, dallinger */
(function () {
  "use strict";

  var CHANNEL = "chatroom";
  var socket = null;
  var nodeId = null;
  var networkId = null;
  var leaving = false;

  function finish() {
    dallinger.allowExit();
    dallinger.goToPage("questionnaire");
  }

  // Participants' words are shown as text, never as HTML.
  function showMessage(data) {
    var line = $("<li>").attr("data-sender", String(data.sender));
    line.append($("<strong>").text("Participant " + data.sender + ": "));
    line.append(document.createTextNode(String(data.content)));
    $("#messages").append(line);
  }

  function showLog(data) {
    $("#log").append($("<li>").text(String(data.content)));
    if (data.action === "finish") {
      $("#text, #send").prop("disabled", true);
    }
  }

  function receive(payload) {
    var data;
    try { data = JSON.parse(payload); } catch (ignored) { return; }
    if (!data || typeof data !== "object") { return; }
    if (data.type === "message") { showMessage(data); } else if (data.type === "log") { showLog(data); }
  }

  // The snapshot a socket gets when it opens holds what was said before: shown in place of
  // the list, so a late joiner reads it and a reconnecting one loses nothing.
  function restore(payload) {
    var snapshot;
    try { snapshot = JSON.parse(payload); } catch (ignored) { return; }
    if (!snapshot || snapshot.type !== "snapshot" || !snapshot.state || !$.isArray(snapshot.state.messages)) { return; }
    $("#messages").empty();
    $.each(snapshot.state.messages, function (index, message) { showMessage(message); });
  }

  function frame(type, content) {
    // immediate: the server records the message as it arrives rather than in a background task.
    return { type: type, content: content, sender: dallinger.identity.participantId, node_id: nodeId, immediate: true };
  }

  function join() {
    var handlers = {
      onOpen: function () {
        $("#status").text("You are in the chat.");
        $("#text, #send, #leave").prop("disabled", false);
        $("#text").trigger("focus");
      },
      onClose: function () { if (leaving) { finish(); } }
    };
    handlers[CHANNEL] = receive;
    handlers[dallinger.groupChannel(networkId)] = receive;
    handlers.dallinger_control = restore;
    socket = dallinger.openSocket([CHANNEL, dallinger.groupChannel(networkId)], handlers);
  }

  function send(event) {
    event.preventDefault();
    var text = $("#text").val().trim();
    if (!text) { return; }
    socket.send(CHANNEL, frame("message", text));
    $("#text").val("");
  }

  function leave() {
    leaving = true;
    $("#text, #send, #leave").prop("disabled", true);
    socket.send(CHANNEL, frame("log", "Participant " + dallinger.identity.participantId + " has left the chat."));
    socket.close();
  }

  $(function () {
    $("#chat-form").on("submit", send);
    $("#leave").on("click", leave);
    dallinger.createAgent().done(function (response) {
      nodeId = response.node.id;
      networkId = response.node.network_id;
      join();
    }).fail(function (rejection) {
      if (rejection.status === 403) { finish(); } else { dallinger.error(rejection); }
    });
  });
})();
