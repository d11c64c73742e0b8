/* The gallery: every drawing sent so far, each shown only as an image. */
/* global $ */
$(function () {
  "use strict";
  $.getJSON("/sheep_market/drawings").done(function (data) {
    data.drawings.forEach(function (image, index) {
      // The server lists only checked PNG data URLs; the page checks again before showing one.
      if (typeof image === "string" && image.indexOf("data:image/png;base64,") === 0) {
        $("<img>").attr({ src: image, alt: "Sheep number " + (index + 1) }).appendTo("#drawings");
      }
    });
    $("#status").text(data.drawings.length + " sheep so far.");
  }).fail(function () { $("#status").text("The drawings could not be loaded."); });
});
