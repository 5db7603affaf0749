// econflow dashboard: draws the charts of a page with uPlot (assets/uplot, vendored).
//
// Each chart's data comes in its element's data-chart attribute: dates and, per series, the
// exact decimals as strings, as ClickHouse printed them. They become numbers here only to be
// drawn and shown in the legend; the tables and CSV downloads keep the exact values.
(function () {
  'use strict';

  var DAY = 86400;

  function seconds(date) { // 'YYYY-MM-DD' → Unix seconds at UTC midnight
    return Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / 1000;
  }

  function number(v) { return v === null ? null : Number(v); } // for drawing only

  function legend(v) {
    if (v === null || v === undefined) return '—';
    var a = Math.abs(v);
    var digits = a >= 1000 ? 2 : a >= 1 ? 4 : 6;
    return v.toLocaleString('en-US', { maximumFractionDigits: digits });
  }

  function utc(ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); }

  // bars draws one bar per category: x is the category's index.
  function bars(el, c) {
    var xs = c.x.map(function (_, i) { return i; });
    var data = [xs];
    var series = [{ label: 'category', value: function (u, i) { return i == null ? '—' : c.x[i]; } }];
    c.series.forEach(function (s) {
      data.push(s.values.map(number));
      series.push({
        label: s.label, scale: s.scale, stroke: s.color, fill: s.color + 'cc', width: 1,
        value: function (u, v) { return legend(v); },
        paths: uPlot.paths.bars({ size: [0.6, 120], align: 0 }), points: { show: false }
      });
    });
    var axes = [
      { values: function (u, vals) { return vals.map(function (i) { return c.x[i] === undefined ? '' : c.x[i]; }); }, splits: function () { return xs; }, grid: { show: false } },
      { scale: 'left', label: c.left, labelSize: 22, size: 80, values: function (u, vals) { return vals.map(legend); } }
    ];
    var scales = {
      x: { time: false, range: function () { return [-0.5, xs.length - 0.5]; } },
      left: { range: function (u, min, max) { return [0, max * 1.1]; } }
    };
    return { scales: scales, series: series, axes: axes, data: data, n: xs.length };
  }

  function draw(el) {
    var c = JSON.parse(el.getAttribute('data-chart'));
    if (c.bars) {
      var b = bars(el, c);
      var w = function () { return Math.max(320, el.clientWidth); };
      var t0 = performance.now();
      var bp = new uPlot({ width: w(), height: 320, scales: b.scales, series: b.series, axes: b.axes, legend: { show: true } }, b.data, el);
      el.setAttribute('data-draw-ms', String(Math.round(performance.now() - t0)));
      el.setAttribute('data-drawn', String(b.n));
      window.addEventListener('resize', function () { bp.setSize({ width: w(), height: 320 }); });
      return;
    }
    var n = c.x.length;
    var xs = c.x.map(seconds);
    var data = [xs];
    var scales = { x: { time: true } };
    if (n === 1) { // one date: give the axis a month around it
      scales.x.range = function () { return [xs[0] - 15 * DAY, xs[0] + 15 * DAY]; };
    }
    var series = [{ label: 'date', value: function (u, ts) { return ts == null ? '—' : new Date(ts * 1000).toISOString().slice(0, 10); } }];
    c.series.forEach(function (s) {
      data.push(s.values.map(number));
      var opts = {
        label: s.label, scale: s.scale, stroke: s.color, width: 2, spanGaps: !!s.gaps,
        value: function (u, v) { return legend(v); },
        points: { show: n <= 62, size: 7, fill: s.color, stroke: s.color }
      };
      if (s.marks) {
        opts.width = 0;
        opts.paths = function () { return null; };
        opts.points = { show: true, space: 0, size: 11, width: 2, stroke: s.color, fill: '#ffffff' };
      }
      series.push(opts);
      if (!scales[s.scale]) scales[s.scale] = {};
    });
    var axes = [{ space: 60 }, { scale: 'left', label: c.left, labelSize: 22, size: 80, values: function (u, vals) { return vals.map(legend); } }];
    if (c.right) {
      axes.push({ scale: 'right', label: c.right, labelSize: 22, side: 1, size: 80, grid: { show: false }, values: function (u, vals) { return vals.map(legend); } });
    }
    var width = function () { return Math.max(320, el.clientWidth); };
    var started = performance.now();
    var plot = new uPlot({ width: width(), height: 320, tzDate: utc, scales: scales, series: series, axes: axes, cursor: { drag: { x: true, y: false } } }, data, el);
    // Tests and people can see how long drawing took and that it happened.
    el.setAttribute('data-draw-ms', String(Math.round(performance.now() - started)));
    el.setAttribute('data-drawn', String(n));
    window.addEventListener('resize', function () { plot.setSize({ width: width(), height: 320 }); });
  }

  function drawAll() {
    var charts = document.querySelectorAll('[data-chart]');
    for (var i = 0; i < charts.length; i++) {
      try {
        draw(charts[i]);
      } catch (e) {
        charts[i].setAttribute('data-error', String(e));
        charts[i].textContent = 'The chart could not be drawn: ' + e;
      }
    }
    // An empty optional field of a filter form means "any": leave it out of the URL.
    var forms = document.querySelectorAll('form.filters');
    for (var j = 0; j < forms.length; j++) {
      forms[j].addEventListener('submit', function (ev) {
        var fields = ev.target.querySelectorAll('input, select');
        for (var k = 0; k < fields.length; k++) {
          if (fields[k].value === '' && fields[k].name !== 'region') fields[k].disabled = true;
        }
      });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', drawAll);
  } else {
    drawAll();
  }
})();
