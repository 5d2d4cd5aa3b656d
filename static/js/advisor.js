// Trusted Advisor enhancements; every page works without this file.
(function () {
  "use strict";

  // Dashboard: the chart of flagged resources over time, from the page's json_script data.
  var canvas = document.getElementById("chart-flagged");
  var source = document.getElementById("advisor-history");
  if (canvas && source && typeof Chart !== "undefined") {
    var history = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: history.map(function (point) { return point.date; }),
        datasets: [{
          label: canvas.dataset.label,
          data: history.map(function (point) { return point.flagged; }),
          backgroundColor: "#ff9900",
          borderColor: "#ec7211",
          tension: 0.2
        }]
      },
      options: {
        aspectRatio: 3,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } }
      }
    });
  }

  // Connection form: show only the fields of the chosen connection type.
  var form = document.querySelector("[data-connection-form]");
  if (form) {
    var sync = function () {
      var chosen = form.querySelector('input[name="mode"]:checked');
      form.querySelectorAll("fieldset[data-mode]").forEach(function (fieldset) {
        fieldset.hidden = !chosen || fieldset.dataset.mode !== chosen.value;
      });
    };
    form.addEventListener("change", sync);
    sync();
  }

  // Content htmx keeps up to date by itself. Texts promising that ("this list updates by
  // itself") are rendered hidden and shown only here, when htmx is there to keep the promise.
  // The check page's Refresh button is disabled during the minimum interval between refreshes;
  // it carries the milliseconds left and is enabled again when they have passed.
  var setUp = function (root) {
    if (window.htmx) {
      root.querySelectorAll("[data-js-only][hidden]").forEach(function (element) {
        element.hidden = false;
      });
    }
    root.querySelectorAll("button[data-refreshable-in]").forEach(function (button) {
      var wait = parseInt(button.dataset.refreshableIn, 10);
      button.removeAttribute("data-refreshable-in"); // armed once, however often we are called
      if (!(wait >= 0)) { return; }
      // A little late rather than early: the server decides with its own clock.
      window.setTimeout(function () {
        if (!button.isConnected) { return; } // replaced by a newer answer meanwhile
        button.disabled = false;
        var notice = document.getElementById("refresh-wait");
        if (notice) { notice.hidden = true; }
      }, wait + 1000);
    });
  };
  setUp(document);
  document.addEventListener("htmx:load", function (event) {
    setUp(event.target.parentElement || event.target);
  });
})();
