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
})();
