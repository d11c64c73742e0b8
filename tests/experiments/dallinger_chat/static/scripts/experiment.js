/* globals $, dallinger, ReconnectingWebSocket */
// The chat check's client, written as Dallinger 12 chat experiments write theirs.
var my_node_id;
var chat_socket;

var join_the_chat = function () {
  $("#participant-number").text(dallinger.identity.participantId);
  var busy = dallinger.BusyForm();
  busy.freeze([$("#reproduction")], [$("#send-message, #leave-chat")]);
  dallinger.createAgent()
    .done(function (resp) {
      my_node_id = resp.node.id;
      busy.unfreeze();
      open_socket();
    })
    .fail(function (rejection) {
      if (rejection.status === 403) {
        dallinger.allowExit();
        dallinger.goToPage("questionnaire");
      } else {
        dallinger.error(rejection);
      }
    });
};

var open_socket = function () {
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  chat_socket = new ReconnectingWebSocket(
    scheme + location.host + "/chat?channel=chatcheck&worker_id=" + dallinger.identity.workerId +
    "&participant_id=" + dallinger.identity.participantId
  );
  chat_socket.onmessage = function (frame) {
    if (frame.data.indexOf("chatcheck:") !== 0) { return; }
    var data = JSON.parse(frame.data.substring("chatcheck:".length));
    if (data.type === "message") {
      $("#story").append($("<p>").text("Participant " + data.sender + ": " + data.content));
    } else if (data.type === "log") {
      $("#log").append($("<p>").text(data.content));
      if (data.action === "finish") {
        $("#send-message, #reproduction").prop("disabled", true);
      }
    }
  };
};

var send_message = function () {
  chat_socket.send("chatcheck:" + JSON.stringify({
    type: "message",
    content: $("#reproduction").val(),
    sender: dallinger.identity.participantId,
    node_id: my_node_id
  }));
  $("#reproduction").val("");
};

var leave_the_chat = function () {
  chat_socket.onclose = function () { dallinger.goToPage("questionnaire"); };
  try {
    chat_socket.close();
  } catch (error) {
    dallinger.goToPage("questionnaire");
  }
};

$(document).ready(function () {
  $("#send-message").click(send_message);
  $("#leave-chat").click(leave_the_chat);
  $("#go-to-waiting-room").click(function () { dallinger.goToPage("waiting"); });
});
