// Draws the console dashboard's charts from the JSON the page embeds (json_script).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function draw(canvasId, dataId, type, label, max) {
    var series = data(dataId);
    new Chart(document.getElementById(canvasId), {
      type: type,
      data: { labels: series.labels, datasets: [{ label: label, data: series.values, backgroundColor: "#ff9900", borderColor: "#ec7211" }] },
      options: { scales: { y: { beginAtZero: true, max: max } }, plugins: { legend: { display: false } } }
    });
  }
  draw("chart-new", "data-new", "line", "cases");
  draw("chart-severity", "data-severity", "bar", "%", 100);
  draw("chart-plan", "data-plan", "bar", "%", 100);
  draw("chart-backlog", "data-backlog", "bar", "cases");
})();
