/* otel-locust: charts over time under the Traces table (live web UI) and in the --html report.
 *
 * Live: this file is loaded by Locust's page with data-series="<base>/otel-traces/series". While the Traces tab
 * (?tab=otel_traces) is open it polls that URL every 2 s (only newer points) and draws one ECharts line chart
 * per chart title, styled like Locust's own Charts tab (same options, colours, dark/light palette).
 * Report: the data is inlined as <script type="application/json" id="otel-locust-series"> and drawn once.
 * window.otelLocustCharts exposes the chart instances (tests read the drawn series from them).
 */
(function () {
  "use strict";
  var TAB = "otel_traces";
  var POLL_MS = 2000;
  var THEMES = {  // Locust's chart palette (webui LineChart)
    dark: {textColor: "#b3c3bc", axisColor: "#5b6f66", backgroundColor: "#27272a", splitLine: "#4c4c52"},
    light: {textColor: "#000", axisColor: "#000", backgroundColor: "#fff", splitLine: "#ddd"}
  };
  var script = document.currentScript;
  var state = {data: null, charts: {}, layout: "", theme: "", panel: null};
  window.otelLocustCharts = state;

  function isDark() {
    try {
      if ("theme" in localStorage) { return localStorage.theme === "dark"; }
    } catch (e) { /* file:// without storage */ }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function makePanel() {
    var panel = document.createElement("div");
    panel.id = "otel-locust-charts-panel";
    panel.style.cssText = "display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;" +
      "margin:16px 0";
    return panel;
  }

  function formatValue(value) {
    if (value === null || value === undefined) { return "-"; }
    return Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
  }

  function tooltip(params) {
    if (!Array.isArray(params) || !params.length) { return "No data"; }
    var head = new Date(params[0].axisValue).toLocaleString();
    return params.reduce(function (html, p) {
      return html + '<br><span style="color:' + p.color + ';">' + p.seriesName + ":&nbsp;" +
        formatValue(p.value[1]) + "</span>";
    }, head);
  }

  function baseOption(chart) {
    return {
      title: {text: chart.title, left: "left"},
      tooltip: {trigger: "axis", formatter: tooltip, borderWidth: 0},
      legend: {top: 30, icon: "circle"},
      grid: {left: 60, right: 40, top: 70},
      xAxis: {type: "time", splitNumber: 2, minInterval: 1,
        axisLabel: {formatter: function (t) { return new Date(t).toLocaleTimeString(); }}},
      yAxis: {type: "value", boundaryGap: [0, "5%"]},
      color: chart.series.map(function (s) { return s.color; }),
      series: chart.series.map(function (s) {
        return {id: s.key, name: s.label, type: "line", symbolSize: 4, data: []};
      })
    };
  }

  function themeOption(dark) {
    var t = dark ? THEMES.dark : THEMES.light;
    return {backgroundColor: t.backgroundColor, textStyle: {color: t.textColor},
      title: {textStyle: {color: t.textColor}}, legend: {inactiveColor: t.textColor, textStyle: {color: t.textColor}},
      tooltip: {backgroundColor: t.backgroundColor, textStyle: {color: t.textColor}},
      xAxis: {axisLine: {lineStyle: {color: t.axisColor}}},
      yAxis: {axisLine: {lineStyle: {color: t.axisColor}}, splitLine: {lineStyle: {color: t.splitLine}}}};
  }

  function build(panel, data) {
    Object.keys(state.charts).forEach(function (title) { state.charts[title].dispose(); });
    state.charts = {};
    panel.innerHTML = "";
    var boxes = data.charts.map(function () {  // all boxes first: each chart is sized once the grid is laid out
      var box = document.createElement("div");
      box.className = "otel-locust-chart";
      box.style.cssText = "width:100%;height:300px;min-width:0";
      panel.appendChild(box);
      return box;
    });
    data.charts.forEach(function (chart, i) {
      var instance = window.echarts.init(boxes[i]);
      instance.setOption(baseOption(chart));
      instance.setOption({xAxis: {splitNumber: splitNumber(instance)}});
      state.charts[chart.title] = instance;
    });
    state.layout = JSON.stringify(data.charts);
    state.theme = "";
  }

  function merge(data) {
    if (!state.data || data.full) { state.data = data; return; }
    var old = state.data;
    old.time = old.time.concat(data.time);
    Object.keys(data.values).forEach(function (key) {
      old.values[key] = (old.values[key] || []).concat(data.values[key]);
    });
    old.generation = data.generation;
  }

  function draw(panel) {
    var data = state.data;
    if (!data) { return; }
    if (state.layout !== JSON.stringify(data.charts)) { build(panel, data); }
    var dark = isDark() ? "dark" : "light";
    data.charts.forEach(function (chart) {
      var instance = state.charts[chart.title];
      var option = {series: chart.series.map(function (s) {
        var column = data.values[s.key] || [];
        return {id: s.key, data: data.time.map(function (t, i) { return [t, column[i]]; })};
      })};
      if (state.theme !== dark) { Object.assign(option, themeOption(dark === "dark")); }
      instance.setOption(option);
    });
    state.theme = dark;
  }

  function resizeAll() {
    Object.keys(state.charts).forEach(function (title) {
      var chart = state.charts[title];
      chart.resize();
      chart.setOption({xAxis: {splitNumber: splitNumber(chart)}});
    });
  }

  function splitNumber(chart) {  // Locust: 7 time labels on a wide chart, 2 on a narrow one
    return Math.max(2, Math.min(7, Math.floor(chart.getWidth() / 160)));
  }

  // -- the --html report: data inlined, drawn once ----------------------------------------------------------
  var inline = document.getElementById("otel-locust-series");
  if (inline) {
    var host = document.getElementById("otel-locust-charts");
    state.panel = makePanel();
    host.appendChild(state.panel);
    state.data = JSON.parse(inline.textContent);
    draw(state.panel);
    window.addEventListener("resize", resizeAll);
    return;
  }

  // -- the live web UI ------------------------------------------------------------------------------------
  var seriesUrl = script && script.getAttribute("data-series");

  function onTracesTab() {
    return new URLSearchParams(window.location.search).get("tab") === TAB;
  }

  function place() {
    var panel = state.panel || (state.panel = makePanel());
    if (!onTracesTab()) {
      if (panel.parentNode) { panel.parentNode.removeChild(panel); }
      return false;
    }
    var table = document.querySelector("main .MuiTableContainer-root") || document.querySelector("main table");
    if (!table) { return false; }
    if (panel.previousSibling !== table) {
      table.parentNode.insertBefore(panel, table.nextSibling);
      setTimeout(resizeAll, 0);
    }
    return true;
  }


  function poll() {
    if (!place()) { return; }
    var url = seriesUrl;
    if (state.data) {
      var last = state.data.time.length ? state.data.time[state.data.time.length - 1] : 0;
      url += "?since=" + last + "&generation=" + encodeURIComponent(state.data.generation);
    }
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { merge(data); draw(state.panel); } })
      .catch(function () { /* the next poll tries again */ });
  }

  if (seriesUrl) {
    window.addEventListener("resize", resizeAll);
    window.addEventListener("popstate", poll);
    new MutationObserver(function () { if (onTracesTab() !== !!(state.panel && state.panel.parentNode)) { poll(); } })
      .observe(document.body, {childList: true, subtree: true});
    setInterval(poll, POLL_MS);
    poll();
  }
})();
