/*
 * dallinger2.js — the browser client of the experiment server.
 *
 * Defines the global `dallinger` object that experiment front ends use: the participant's
 * identity (kept across pages), requests to the experiment routes (each returning a
 * jQuery Deferred with done/fail/then), and the journey helpers (questionnaire,
 * submission, page changes, errors). It needs jQuery.
 */
/* global jQuery, Spinner */
var dallinger = (function ($) {
  "use strict";

  var dlgr = {};
  var IDENTITY_KEY = "dallinger.identity";
  var IDENTITY_PARAMETERS = {
    recruiter: ["recruiter"],
    hitId: ["hitId", "hit_id", "STUDY_ID"],
    workerId: ["workerId", "worker_id", "PROLIFIC_PID"],
    assignmentId: ["assignmentId", "assignment_id", "SESSION_ID"],
    mode: ["mode"],
    participantId: ["participant_id", "participantId"]
  };
  // URL parameters that are not "entry information" kept for the recruiter.
  var NOT_ENTRY_INFORMATION = ["mode", "recruiter", "participant_id", "participantId", "fingerprint_hash",
    "generate_tokens"];

  // Storage -------------------------------------------------------------------------

  /** Key/value storage that survives page changes (localStorage, or memory if unavailable). */
  dlgr.storage = (function () {
    var memory = {};
    var available = (function () {
      try {
        window.localStorage.setItem("dallinger.probe", "1");
        window.localStorage.removeItem("dallinger.probe");
        return true;
      } catch (error) {
        return false;
      }
    })();
    return {
      available: available,
      get: function (key) {
        var raw = available ? window.localStorage.getItem(key) : memory[key];
        if (raw === null || raw === undefined) { return undefined; }
        try { return JSON.parse(raw); } catch (error) { return undefined; }
      },
      set: function (key, value) {
        var raw = JSON.stringify(value);
        if (available) { window.localStorage.setItem(key, raw); } else { memory[key] = raw; }
      },
      remove: function (key) {
        if (available) { window.localStorage.removeItem(key); } else { delete memory[key]; }
      },
      clear: function () {
        if (available) { window.localStorage.clear(); } else { memory = {}; }
      }
    };
  })();

  // URL parameters and identity -----------------------------------------------------

  /**
   * A query-string component decoded (`+` is a space). A malformed escape such as a lone
   * `%` is kept as written: a broken link must not stop the whole client from loading.
   */
  function decodeComponent(text) {
    var spaced = text.replace(/\+/g, " ");
    try {
      return decodeURIComponent(spaced);
    } catch (error) {
      return spaced;
    }
  }

  /** The query string's parameters in order, as [name, value] with `true` for a bare name. */
  function urlPairs() {
    var query = window.location.search.substring(1);
    var found = [];
    if (!query) { return found; }
    var pairs = query.split("&");
    for (var i = 0; i < pairs.length; i++) {
      if (!pairs[i]) { continue; }
      var pair = pairs[i].split("=");
      found.push([decodeComponent(pair[0]), pair.length === 1 ? true : decodeComponent(pair.slice(1).join("="))]);
    }
    return found;
  }

  /** The value of a query-string parameter: its text, true if present without a value, or null. */
  dlgr.getUrlParameter = function (name) {
    var pairs = urlPairs();
    for (var i = 0; i < pairs.length; i++) {
      if (pairs[i][0] === name) { return pairs[i][1]; }
    }
    return null;
  };

  /** The query string's parameters by name (the first value of each). */
  function urlParameters() {
    var found = {};
    $.each(urlPairs(), function (i, pair) {
      if (!Object.prototype.hasOwnProperty.call(found, pair[0])) { found[pair[0]] = pair[1]; }
    });
    return found;
  }

  /** A short, stable hash of what the browser says about itself (not a tracking fingerprint). */
  function fingerprint() {
    var parts = [navigator.userAgent, navigator.language, screen.width + "x" + screen.height,
      screen.colorDepth, new Date().getTimezoneOffset()];
    var text = parts.join("|");
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = (hash * 0x01000193) >>> 0;
    }
    return ("0000000" + hash.toString(16)).slice(-8);
  }

  /**
   * Who the participant is: recruiter, hitId, workerId, assignmentId, mode, participantId,
   * fingerprintHash and entryInformation. Read from the URL on the entry page and kept in
   * storage, so later pages (which only carry participant_id) still know it.
   */
  dlgr.identity = (function () {
    var stored = dlgr.storage.get(IDENTITY_KEY) || {};
    var params = urlParameters();
    var fromUrl = {};
    var consumed = {};
    $.each(IDENTITY_PARAMETERS, function (field, names) {
      for (var i = 0; i < names.length; i++) {
        consumed[names[i]] = true;
        // A bare or empty parameter (`participant_id=` before the participant exists) says nothing.
        if (fromUrl[field] === undefined && typeof params[names[i]] === "string" && params[names[i]] !== "") {
          fromUrl[field] = params[names[i]];
        }
      }
    });
    // A new assignment in the URL means a new participant: forget the old one.
    if (fromUrl.assignmentId && stored.assignmentId && fromUrl.assignmentId !== stored.assignmentId) {
      stored = {};
    }
    var entryInformation = stored.entryInformation || {};
    if (fromUrl.assignmentId) {
      entryInformation = {};
      $.each(params, function (key, value) {
        if (!consumed[key] && NOT_ENTRY_INFORMATION.indexOf(key) === -1) { entryInformation[key] = value; }
      });
    }
    var identity = $.extend({}, stored, fromUrl, { entryInformation: entryInformation });
    identity.fingerprintHash = identity.fingerprintHash || fingerprint();
    if (identity.participantId) { identity.participantId = String(identity.participantId); }
    return identity;
  })();

  function saveIdentity() {
    dlgr.storage.set(IDENTITY_KEY, dlgr.identity);
  }
  saveIdentity();

  // Requests ---------------------------------------------------------------------------

  /**
   * What a failed request rejects with: `status` (HTTP status), `html` (the error page
   * to show), `message`, `errorCode`, and the request that failed.
   */
  dlgr.AjaxRejection = function (options) {
    options = options || {};
    this.status = options.status;
    this.html = options.html;
    this.message = options.message;
    this.errorCode = options.errorCode;
    this.route = options.route;
    this.data = options.data;
  };
  dlgr.AjaxRejection.prototype.toString = function () {
    return "AjaxRejection(" + this.status + ", " + (this.message || "") + ")";
  };

  function encode(data) {
    var encoded = {};
    $.each(data || {}, function (key, value) {
      if (value === undefined) { return; }
      encoded[key] = (value !== null && typeof value === "object") ? JSON.stringify(value) : value;
    });
    return encoded;
  }

  // A request that never reached the experiment (the connection failed, or the proxy found
  // no server: 502, 503, 504) is sent again, a few times with growing pauses, when sending it
  // twice does no harm: reads, and the submission, which the server processes once.
  var RETRY_DELAYS_MS = [250, 1000, 3000];
  var RETRY_STATUSES = [0, 502, 503, 504];
  var REPEATABLE_POSTS = ["/worker_complete"];

  function repeatable(method, route) {
    return method === "GET" || $.inArray(route.split("?")[0], REPEATABLE_POSTS) !== -1;
  }

  /** The `error_code` (and, with close code 4410, the websocket's) of a participant a bot replaced. */
  var REPLACED = "participant_replaced";

  /**
   * Go to the recruiter's exit page, where the participant finishes (a participant a bot
   * replaced is sent there by any request or socket of theirs).
   */
  dlgr.goToExit = function () {
    dlgr.allowExit();
    window.location.href = "/recruiter-exit?participant_id=" + encodeURIComponent(dlgr.identity.participantId || "");
  };

  function request(method, route, data) {
    var deferred = $.Deferred();
    var payload = encode(data);
    var attempt = 0;
    send();
    return deferred.promise();

    function send() {
      $.ajax({
        url: route,
        type: method,
        data: payload,
        dataType: "json",
        traditional: true,
        cache: false
      }).done(answered).fail(failed);
    }

    function failed(xhr) {
      if (attempt < RETRY_DELAYS_MS.length && repeatable(method, route) &&
          $.inArray(xhr.status, RETRY_STATUSES) !== -1) {
        var pause = RETRY_DELAYS_MS[attempt] * (0.75 + Math.random() / 2);
        attempt += 1;
        window.setTimeout(send, pause);
        return;
      }
      rejected(xhr);
    }

    function answered(body, textStatus, xhr) {
      if (body && body.status === "error") {
        reject(new dlgr.AjaxRejection({
          status: xhr.status, html: body.html, message: body.message, errorCode: body.error_code,
          route: route, data: payload
        }));
      } else {
        deferred.resolve(body);
      }
    }

    function rejected(xhr) {
      var body = xhr.responseJSON;
      if (!body) {
        try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
      }
      reject(new dlgr.AjaxRejection({
        status: xhr.status,
        html: body.html,
        message: body.message || xhr.statusText || "The server could not be reached.",
        errorCode: body.error_code,
        route: route,
        data: payload
      }));
    }

    function reject(rejection) {
      // A bot took this participant's place: nothing on this page counts any more.
      if (rejection.errorCode === REPLACED) { dlgr.goToExit(); }
      deferred.reject(rejection);
    }
  }

  /** GET a route; resolves with the JSON answer, rejects with an AjaxRejection. */
  dlgr.get = function (route, data) { return request("GET", route, data); };

  /** POST to a route (objects in `data`, like `details`, are sent as JSON strings). */
  dlgr.post = function (route, data) { return request("POST", route, data); };

  // The participant's journey ------------------------------------------------------------

  dlgr.skip_experiment = false;
  dlgr.quorum = null;
  /** With group formation by arrival: the group frame that named this participant. */
  dlgr.group = null;

  var quorumWaiters = [];
  var quorumSocket = null;

  function quorumReached(state) {
    if (state && state.grouping) {
      // Group formation by arrival: the count says nothing about whose group has formed.
      return dlgr.group !== null;
    }
    return !state || !state.q || state.n >= state.q;
  }

  // Websockets ---------------------------------------------------------------------------

  /** Close codes after which reconnecting cannot help (docs/realtime.md). */
  var REFUSED_CODES = [4400, 4403, 4404, 4410];
  /** The close code of a socket whose participant a bot replaced. */
  var CLOSE_REPLACED = 4410;
  var HEARTBEAT_MS = 10000;

  function socketUrl(channels) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = "channel=" + encodeURIComponent(channels.join(","));
    if (dlgr.identity.workerId) { query += "&worker_id=" + encodeURIComponent(dlgr.identity.workerId); }
    if (dlgr.identity.participantId) {
      query += "&participant_id=" + encodeURIComponent(dlgr.identity.participantId);
    }
    return scheme + window.location.host + "/chat?" + query;
  }

  /**
   * The channel of the group playing in network `networkId`: the server tells the group about
   * pauses, replacements, its end and the experiment's own events there. Only the group's
   * members may open it (a participant with a node or a seat in the network; others are
   * refused with 4403), and only the server publishes on it.
   */
  dlgr.groupChannel = function (networkId) { return "dallinger_group_" + networkId; };

  /**
   * Open a `/chat` socket subscribed to `channels` (a name or a list). `handlers` maps a
   * channel name to `function (payload, channel)` (payload as the raw string; `"*"` takes
   * channels without their own handler) and may hold `onOpen()`, `onClose(event)` and
   * `onRefused(event)` (the server closed with a 44xx code: no reconnection; after 4410, a
   * bot took the participant's place, the page then goes to the exit page). The socket
   * reconnects with back-off (1 s, x1.5, at most 30 s) and sends a heartbeat when it opens and
   * every 10 s.
   * Nothing is buffered: `send(channel, payload)` returns false while it is not open.
   * Returns `{send, close}`.
   */
  dlgr.openSocket = function (channels, handlers) {
    channels = [].concat(channels);
    handlers = handlers || {};
    var ws = null, heartbeat = null, closed = false, delay = 1000;

    function connect() {
      ws = new WebSocket(socketUrl(channels));
      ws.onopen = function () {
        delay = 1000;
        // A first heartbeat at once: from it on, the server knows this socket beats, and takes
        // it for gone (a server that died with it) once its heartbeats stop.
        var beat = function () { socket.send("dallinger_control", JSON.stringify({ type: "heartbeat" })); };
        beat();
        heartbeat = setInterval(beat, HEARTBEAT_MS);
        if (handlers.onOpen) { handlers.onOpen(); }
      };
      ws.onmessage = function (event) {
        var text = String(event.data);
        var colon = text.indexOf(":");
        if (colon === -1) { return; }
        var channel = text.slice(0, colon);
        var handler = handlers[channel] || handlers["*"];
        if (handler) { handler(text.slice(colon + 1), channel); }
      };
      ws.onclose = function (event) {
        clearInterval(heartbeat);
        if (REFUSED_CODES.indexOf(event.code) !== -1) {
          closed = true;
          if (handlers.onRefused) { handlers.onRefused(event); }
          if (event.code === CLOSE_REPLACED) { dlgr.goToExit(); }
        }
        if (handlers.onClose) { handlers.onClose(event); }
        if (!closed) {
          setTimeout(connect, delay);
          delay = Math.min(delay * 1.5, 30000);
        }
      };
    }

    var socket = {
      send: function (channel, payload) {
        if (!ws || ws.readyState !== WebSocket.OPEN) { return false; }
        ws.send(channel + ":" + (typeof payload === "string" ? payload : JSON.stringify(payload)));
        return true;
      },
      close: function () {
        closed = true;
        if (ws) { ws.close(1000); }
      }
    };
    connect();
    return socket;
  };

  /**
   * Resolves when the waiting room's quorum is reached (at once when the experiment has
   * none). Until then a socket on channel `quorum` feeds `dallinger.updateQuorum`.
   */
  dlgr.waitForQuorum = function () {
    var deferred = $.Deferred();
    if (quorumReached(dlgr.quorum)) {
      deferred.resolve(dlgr.quorum);
      return deferred.promise();
    }
    quorumWaiters.push(deferred);
    if (!quorumSocket) {
      quorumSocket = dlgr.openSocket("quorum", {
        quorum: function (payload) {
          try { dlgr.updateQuorum(JSON.parse(payload)); } catch (ignored) { /* not a quorum state */ }
        },
        dallinger_control: function (payload) {
          // A reconnecting participant whose group formed meanwhile learns it from their snapshot.
          var snapshot;
          try { snapshot = JSON.parse(payload); } catch (ignored) { return; }
          if (snapshot && snapshot.type === "snapshot" && snapshot.network_id && dlgr.quorum && dlgr.quorum.grouping) {
            dlgr.updateQuorum({ type: "group", network_id: snapshot.network_id, participant_ids: [snapshot.participant_id] });
          }
        }
      });
    }
    return deferred.promise();
  };

  function groupFormed(frame) {
    var me = Number(dlgr.identity.participantId);
    if ($.inArray(me, $.map(frame.participant_ids || [], Number)) < 0) {
      return; // not about this participant (the server sends each waiter only their own)
    }
    if (frame.type === "released") {
      dlgr.skip_experiment = true;
    } else {
      dlgr.group = frame;
    }
    var waiting = quorumWaiters;
    quorumWaiters = [];
    if (quorumSocket) { quorumSocket.close(); quorumSocket = null; }
    $.each(waiting, function (i, deferred) { deferred.resolve(frame); });
  }

  /** Show `value` of `total` in the waiting room's progress bar (`#waiting-progress-bar`). */
  dlgr.updateProgressBar = function (value, total) {
    var percent = total ? Math.min(100, Math.round(100 * value / total)) + "%" : "0%";
    $("#waiting-progress-bar").css("width", percent).attr("aria-valuenow", parseInt(percent, 10));
    $("#progress-percentage").text(percent);
  };

  /**
   * Record the latest quorum state `{q, n, overrecruited}`, show it in `#quorum-status`, and
   * release waiters once `n >= q` (not only at `n == q`: a missed frame must not strand anyone).
   * With group formation by arrival (`grouping` in the state), waiters are released by the
   * frame the server sends to them alone instead: `{type: "group", network_id, participant_ids:
   * [their id]}` (their group formed) or `{type: "released", participant_ids: [their id]}` (the
   * wait ran out: they finish without the experiment).
   */
  dlgr.updateQuorum = function (state) {
    if (state && (state.type === "group" || state.type === "released")) {
      groupFormed(state);
      return;
    }
    dlgr.quorum = state;
    if (state && state.q) {
      $("#quorum-status").text(Math.min(state.n, state.q) + " of " + state.q + " participants have joined.");
      dlgr.updateProgressBar(state.n, state.q);
    }
    if (quorumReached(state)) {
      var waiting = quorumWaiters;
      quorumWaiters = [];
      if (quorumSocket) { quorumSocket.close(); quorumSocket = null; }
      $.each(waiting, function (i, deferred) { deferred.resolve(state); });
    }
  };

  function rememberParticipant(participant) {
    dlgr.identity.participantId = String(participant.id);
    if (participant.worker_id) { dlgr.identity.workerId = participant.worker_id; }
    if (participant.assignment_id) { dlgr.identity.assignmentId = participant.assignment_id; }
    if (participant.hit_id) { dlgr.identity.hitId = participant.hit_id; }
    if (participant.mode) { dlgr.identity.mode = participant.mode; }
    if (participant.recruiter) { dlgr.identity.recruiter = participant.recruiter; }
    saveIdentity();
  }

  /**
   * Create the participant from the identity in the URL (once: a participant already
   * created on an earlier page is reused). With a quorum, resolves when it is reached, or
   * at once with `skip_experiment` set when the participant is over-recruited.
   */
  dlgr.createParticipant = function () {
    var deferred = $.Deferred();
    if (dlgr.identity.participantId) {
      $(".btn-success").prop("disabled", false);
      deferred.resolve({ status: "success", participant: { id: Number(dlgr.identity.participantId) } });
      return deferred.promise();
    }
    var data = $.extend({}, dlgr.identity.entryInformation, {
      worker_id: dlgr.identity.workerId,
      hit_id: dlgr.identity.hitId,
      assignment_id: dlgr.identity.assignmentId,
      mode: dlgr.identity.mode,
      recruiter: dlgr.identity.recruiter,
      fingerprint_hash: dlgr.identity.fingerprintHash
    });
    // Dallinger's pages start with their go-on buttons (`.btn-success`) disabled or enable them
    // only once the participant exists, as its client does.
    $(".btn-success").prop("disabled", true);
    dlgr.post("/participant", data).done(function (response) {
      rememberParticipant(response.participant);
      $(".btn-success").prop("disabled", false);
      if (response.quorum) {
        dlgr.updateQuorum(response.quorum);
        if (response.quorum.overrecruited) {
          dlgr.skip_experiment = true;
          deferred.resolve(response);
          return;
        }
        dlgr.waitForQuorum().done(function () { deferred.resolve(response); });
      } else {
        deferred.resolve(response);
      }
    }).fail(function (rejection) { deferred.reject(rejection); });
    return deferred.promise();
  };

  /**
   * Load a participant (to resume a session) into the identity: `assignmentInfo` is an
   * assignment id, or an object of the recruiter's entry parameters (`{SESSION_ID: ...}`);
   * without it, the identity's assignment.
   */
  dlgr.loadParticipant = function (assignmentInfo) {
    var deferred = $.Deferred();
    var data = (assignmentInfo !== null && typeof assignmentInfo === "object") ?
      assignmentInfo : { assignment_id: assignmentInfo || dlgr.identity.assignmentId };
    $(".btn-success").prop("disabled", true);
    dlgr.post("/load-participant", data)
      .done(function (response) {
        rememberParticipant(response.participant);
        $(".btn-success").prop("disabled", false);
        deferred.resolve(response);
      })
      .fail(function (rejection) { deferred.reject(rejection); });
    return deferred.promise();
  };

  /** A new node for the participant (`data.node`); a 403 means no network is left. */
  dlgr.createAgent = function (data) {
    return dlgr.post("/node/" + dlgr.identity.participantId, data);
  };

  /** A new info at a node: `createInfo(nodeId, {contents, info_type, details})` (`data.info`). */
  dlgr.createInfo = function (nodeId, data) {
    return dlgr.post("/info/" + nodeId, data);
  };

  /** One info the node made or received (`data.info`). */
  dlgr.getInfo = function (nodeId, infoId) {
    return dlgr.get("/info/" + nodeId + "/" + infoId);
  };

  /** The infos a node made (`data.infos`); `data` may give `info_type`. */
  dlgr.getInfos = function (nodeId, data) {
    return dlgr.get("/node/" + nodeId + "/infos", data);
  };

  /** The infos a node received (`data.infos`). */
  dlgr.getReceivedInfos = function (nodeId, data) {
    return dlgr.get("/node/" + nodeId + "/received_infos", data);
  };

  /** A node's transmissions (`data.transmissions`); `data` may give `direction` and `status`. */
  dlgr.getTransmissions = function (nodeId, data) {
    return dlgr.get("/node/" + nodeId + "/transmissions", data);
  };

  /**
   * One of the experiment's public properties. Resolves with the route's answer, whose
   * `<property>` key holds the value (`data.propname`, as front ends written for
   * Dallinger read it).
   */
  dlgr.getExperimentProperty = function (property) {
    return dlgr.get("/experiment/" + encodeURIComponent(property));
  };

  function formAnswers(form) {
    var answers = {};
    $.each($(form).serializeArray(), function (i, field) {
      if (answers[field.name] === undefined) {
        answers[field.name] = field.value;
      } else {
        answers[field.name] = [].concat(answers[field.name], field.value);
      }
    });
    return answers;
  }

  /**
   * Send the answers of the questionnaire form (`form#questionnaire`, or the first form
   * on the page) as question `name`, then submit the assignment.
   */
  dlgr.submitQuestionnaire = function (name, form) {
    var target = form || ($("form#questionnaire").length ? "form#questionnaire" : "form");
    var answers = formAnswers(target);
    var deferred = $.Deferred();
    dlgr.post("/question/" + dlgr.identity.participantId, {
      question: name || "questionnaire",
      number: 1,
      response: JSON.stringify(answers)
    }).done(function () {
      dlgr.submitAssignment().done(deferred.resolve).fail(deferred.reject);
    }).fail(function (rejection) {
      // As upstream: the error page replaces the questionnaire even if the caller adds no .fail().
      dlgr.error(rejection);
      deferred.reject(rejection);
    });
    return deferred.promise();
  };

  /** Tell the server the participant has finished, then go to the recruiter's exit page. */
  dlgr.submitAssignment = function () {
    var deferred = $.Deferred();
    var participantId = dlgr.identity.participantId;
    dlgr.post("/worker_complete", { participant_id: participantId }).done(function (response) {
      deferred.resolve(response);
      dlgr.allowExit();
      window.location.href = "/recruiter-exit?participant_id=" + encodeURIComponent(participantId);
    }).fail(function (rejection) { deferred.reject(rejection); });
    return deferred.promise();
  };

  /** Go to `page` (no .html), carrying the participant's id. */
  dlgr.goToPage = function (page) {
    dlgr.allowExit();
    var separator = page.indexOf("?") === -1 ? "?" : "&";
    window.location.href = "/" + page + separator + "participant_id=" +
      encodeURIComponent(dlgr.identity.participantId || "");
  };

  // Leaving, ad blockers, errors ---------------------------------------------------------

  /** Set to true to ask the participant before they close or reload the page. */
  dlgr.preventExit = false;

  /** True while the next page change is deliberate (`allowExit`): it is not asked about. */
  dlgr.allowExitOnce = false;

  /** Lift `preventExit` before a deliberate page change. */
  dlgr.allowExit = function () {
    dlgr.allowExitOnce = true;
    dlgr.preventExit = false;
  };

  $(window).on("beforeunload", function (event) {
    if (dlgr.preventExit && !dlgr.allowExitOnce) {
      var warning = "Leaving this page will end your participation.";
      var original = event.originalEvent || event;
      original.preventDefault();
      original.returnValue = warning;
      return warning;
    }
    return undefined;
  });

  /** Whether the fingerprint library failed to load (an ad blocker's doing, as a rule). */
  dlgr.missingFingerprint = function () {
    return window.Fingerprint2 === undefined;
  };

  /**
   * While a form is busy: `var busy = dallinger.BusyForm(); busy.freeze([$inputs, $button]);`
   * disables each jQuery selection in the list and spins the spinner in the element with id
   * `spinner` (or `options.spinnerID`); `busy.unfreeze()` enables them again and stops it.
   * `options.spinnerSettings` go to spin.js. Extra arguments to `freeze` are ignored, as in
   * Dallinger.
   */
  dlgr.BusyForm = function (options) {
    if (!(this instanceof dlgr.BusyForm)) { return new dlgr.BusyForm(options); }
    var settings = $.extend(true, { spinnerSettings: { scale: 1.5 }, spinnerID: "spinner" }, options);
    this.target = document.getElementById(settings.spinnerID);
    if (this.target === null) {
      throw new Error('There is no element with id "' + settings.spinnerID + '" to show the spinner in.');
    }
    this.spinner = new Spinner(settings.spinnerSettings);
    this.frozen = [];
  };

  dlgr.BusyForm.prototype.freeze = function (selections) {
    this.frozen = selections || [];
    $.each(this.frozen, function (_, selection) { $(selection).prop("disabled", true); });
    this.spinner.spin(this.target);
  };

  dlgr.BusyForm.prototype.unfreeze = function () {
    $.each(this.frozen, function (_, selection) { $(selection).prop("disabled", false); });
    this.spinner.stop();
    this.frozen = [];
  };

  /** Call `callback` (after a short delay) if an ad blocker hides ad-like elements. */
  dlgr.hasAdBlocker = function (callback) {
    var bait = $("<div class='adsbox ad-banner textads' style='position:absolute;left:-999px;'>&nbsp;</div>");
    $("body").append(bait);
    window.setTimeout(function () {
      var blocked = bait.is(":hidden") || bait.height() === 0 || bait.css("display") === "none";
      bait.remove();
      if (blocked && typeof callback === "function") { callback(); }
    }, 100);
  };

  /**
   * Handle an error: show the error page from the server's answer (which lets the
   * participant leave feedback and finish), or load it if the answer had none.
   */
  dlgr.error = function (rejection) {
    dlgr.allowExit();
    rejection = rejection || {};
    var request = { route: rejection.route, status: rejection.status, message: rejection.message };
    if (rejection.html) {
      showErrorPage(rejection.html, rejection, $.extend({ data: rejection.data }, request));
      return;
    }
    var query = "?participant_id=" + encodeURIComponent(dlgr.identity.participantId || "") +
      "&request_data=" + encodeURIComponent(JSON.stringify(request));
    window.location.href = "/error-page" + query;
  };

  /**
   * Swap the page for the server's error page: its title and body only (the libraries in
   * its head are loaded already), with the ids the server could not know filled into the
   * feedback form, so that /handle-error can complete the right participant.
   */
  function showErrorPage(html, rejection, request) {
    var page = new DOMParser().parseFromString(html, "text/html");
    if (page.title) { document.title = page.title; }
    $("body").html(page.body ? page.body.innerHTML : html);
    var form = $("form#error-response, form[action='/handle-error']").first();
    if (!form.length) { return; }
    var values = {
      participant_id: dlgr.identity.participantId,
      assignment_id: dlgr.identity.assignmentId,
      hit_id: dlgr.identity.hitId,
      worker_id: dlgr.identity.workerId,
      error_text: rejection.message,
      request_data: JSON.stringify(request)
    };
    $.each(values, function (name, value) {
      if (value === undefined || value === null || value === "") { return; }
      var input = form.find("[name='" + name + "']");
      if (!input.length) {
        input = $("<input type='hidden'>").attr("name", name).appendTo(form);
      }
      if (!input.val()) { input.val(value); }
    });
  }

  return dlgr;
})(jQuery);
