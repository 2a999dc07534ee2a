// Draws every <canvas data-chart="..."> with Chart.js (static/vendor/chart.umd.min.js).
// The data come from kn_crawl/web/charts.py; no inline script, no network.
(function () {
  "use strict";
  var COLORS = ["#0b5cad", "#e07b00", "#17663a"];
  // A line draws no points, except one between two gaps, which would not show otherwise.
  function lonePoint(context) {
    var data = context.dataset.data, i = context.dataIndex;
    return data[i] !== null && data[i - 1] == null && data[i + 1] == null ? 3 : 0;
  }
  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var percent = spec.percent;
    var format = new Intl.NumberFormat("de-DE", { maximumFractionDigits: percent ? 1 : 0 });
    var datasets = spec.datasets.map(function (d, i) {
      return {
        label: d.label,
        data: d.data,
        backgroundColor: COLORS[i % COLORS.length],
        borderColor: COLORS[i % COLORS.length],
        borderWidth: spec.type === "line" ? 2 : 0,
        pointRadius: spec.type === "line" ? lonePoint : undefined,
        spanGaps: false, // null: a period without any article, not 0 %
        tension: 0
      };
    });
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: "de-DE",
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (item) {
                if (item.parsed.y === null) { return item.dataset.label + ": keine Artikel"; }
                return item.dataset.label + ": " + format.format(item.parsed.y) + (percent ? " %" : "");
              }
            }
          }
        },
        scales: {
          x: {
            title: { display: true, text: spec.x },
            ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }
          },
          y: {
            beginAtZero: true,
            title: { display: true, text: spec.y },
            ticks: {
              precision: percent ? undefined : 0,
              callback: function (value) { return format.format(value) + (percent ? " %" : ""); }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-drawn", String(chart.data.datasets.length));
  }
  function start() {
    if (!window.Chart) { return; }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
