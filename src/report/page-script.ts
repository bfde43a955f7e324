/**
 * The report page's own script, run in the browser after Chart.js: it reads the chart specs from
 * the page's JSON block, adds the formatters JSON cannot carry (dollars with as many digits as the
 * ticks need, milliseconds, the time axis), and draws each chart. The drawn value axis goes into
 * the canvas's `aria-label`, for screen readers (and for tests, which read the DOM).
 *
 * Plain browser JavaScript in a string: it is not compiled for Node, and the page must work as is.
 */
export const ERROR_HOOK = `window.addEventListener("error", function (e) { document.documentElement.setAttribute("data-report-error", String(e.message)); });`;

export const PAGE_SCRIPT = `(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("report-data").textContent);
  var group = function (v, digits) { return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }); };
  // Dollars: enough decimals to tell the ticks apart ($0.00045 next to $0.00050), cents at least
  // below a dollar; a lone value (step 0) gets three significant digits ($0.000500).
  var usd = function (v, step) {
    if (v === 0) return "$0";
    var scale = step > 0 ? step : Math.abs(v);
    var least = step >= 1 ? 0 : 2;
    var decimals = Math.min(10, Math.max(least, Math.ceil(-Math.log10(scale) - 1e-9) + (step > 0 ? 0 : 2)));
    return "$" + v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  };
  // Milliseconds in the unit the size calls for; on an axis, the unit its largest tick calls for.
  var ms = function (v, scale) {
    var size = scale === undefined ? Math.abs(v) : scale;
    if (size < 1000) return group(v, 0) + " ms";
    if (size < 120000) return group(v / 1000, 1) + " s";
    return group(v / 60000, 1) + " min";
  };
  var value = {
    count: function (v) { return group(v, 0); },
    rate: function (v) { return group(v, Math.abs(v) < 10 ? 1 : 0); },
    usd: function (v) { return usd(v, 0); },
    ms: function (v) { return ms(v); },
  };
  var stepOf = function (ticks) { return ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : 0; };
  // A value axis's tick labels: dollars by the step between ticks, milliseconds by the largest tick.
  var axisLabel = function (format, v, ticks) {
    if (format === "usd") return usd(v, stepOf(ticks));
    if (format === "ms") return ms(v, Math.max.apply(null, ticks.map(function (t) { return Math.abs(t.value); })));
    return value[format](v);
  };
  // The time axis in the unit its length calls for, the same for every tick.
  var time = function (max) {
    if (max < 120) return function (s) { return group(s, 1) + " s"; };
    if (max < 7200) return function (s) { return group(s / 60, 1) + " min"; };
    return function (s) { return group(s / 3600, 1) + " h"; };
  };

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1a202c";

  var drawn = 0;
  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    var cfg = spec.config;
    var tip = value[spec.format];
    var ticksOf = function (v, i, ticks) { return axisLabel(spec.format, v, ticks); };
    if (cfg.type === "line") {
      var tx = time(cfg.options.scales.x.max);
      cfg.options.scales.x.ticks = { callback: function (v) { return tx(v); } };
      cfg.options.scales.y.ticks = Object.assign(cfg.options.scales.y.ticks || {}, { callback: ticksOf });
      cfg.options.plugins.tooltip = { callbacks: {
        title: function (items) { return items.length ? tx(items[0].parsed.x) : ""; },
        label: function (item) { return item.dataset.label + ": " + tip(item.parsed.y); },
      } };
    } else {
      var labels = cfg.data.labels;
      var values = cfg.data.datasets[0].data;
      // Each row's label carries its value, so the figures read without hovering.
      cfg.options.scales.y = { ticks: { autoSkip: false, callback: function (v, i) { return labels[i] + "  " + tip(values[i]); } } };
      cfg.options.scales.x.ticks = Object.assign(cfg.options.scales.x.ticks || {}, { callback: ticksOf });
      cfg.options.plugins.tooltip = { callbacks: { label: function (item) { return tip(item.parsed.x); } } };
    }
    var chart = new Chart(canvas, cfg);
    var labelsOf = function (axis) { return chart.scales[axis].ticks.map(function (t) { return t.label; }).join(", "); };
    var what = cfg.type === "line"
      ? "Values: " + labelsOf("y") + ". Series: " + chart.data.datasets.map(function (d) { return d.label; }).join(", ")
      : "Values: " + labelsOf("x") + ". Rows: " + labelsOf("y");
    canvas.setAttribute("aria-label", spec.title + ". " + what + ".");
    drawn++;
  });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn));
})();`;
