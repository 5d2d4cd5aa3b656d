// Draws the console dashboard's charts from the JSON the page embeds (json_script).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function draw(canvasId, dataId, type, label, max) {
    var series = data(dataId);
    var canvas = document.getElementById(canvasId);
    var datasets = [{ label: canvas.dataset.label || label, data: series.values, backgroundColor: "#ff9900", borderColor: "#ec7211" }];
    // Attainment charts carry the next replies' share beside the first responses'.
    if (series.next_reply) {
      datasets.push({ label: canvas.dataset.nextLabel, data: series.next_reply, backgroundColor: "#0073bb", borderColor: "#005a92" });
    }
    new Chart(canvas, {
      type: type,
      data: { labels: series.labels, datasets: datasets },
      options: { scales: { y: { beginAtZero: true, max: max } }, plugins: { legend: { display: datasets.length > 1 } } }
    });
  }
  draw("chart-new", "data-new", "line", "cases");
  draw("chart-severity", "data-severity", "bar", "%", 100);
  draw("chart-plan", "data-plan", "bar", "%", 100);
  draw("chart-backlog", "data-backlog", "bar", "cases");
})();
