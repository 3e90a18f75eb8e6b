// Painting a plan: click or brush units (a neighborhood at a time, or single grids) into
// an area; every move goes to the plan API, which answers only what changed (the grids
// that moved, the areas they left or joined, the plan's rules), and only those are redrawn.
// Undo and redo send the moves back; locked areas (kept in this browser) are not painted.
(function () {
  'use strict';
  var root = document.getElementById('gm-paint');
  if (!root || !window.L) { return; }
  var planId = root.getAttribute('data-plan');
  var W = JSON.parse(document.getElementById('gm-words').textContent);  // the page's words (web/i18n.SCRIPT_TEXT)
  var target = document.getElementById('gm-target');
  var newArea = document.getElementById('gm-new-area');
  var brush = document.getElementById('gm-brush');
  var undoButton = document.getElementById('gm-undo');
  var redoButton = document.getElementById('gm-redo');
  var errorBox = document.getElementById('gm-paint-error');
  var hoverBox = document.getElementById('gm-hover');
  var tbody = document.querySelector('#gm-areas tbody');
  var lockKey = 'gridmap-locks-' + planId;
  var state = {
    version: null, features: {}, layers: {}, groups: {}, districts: {}, order: [],
    bounds: {}, ideal: 0, colours: {}, locked: {}, undo: [], redo: [], busy: false, moves: 0
  };
  try { state.locked = JSON.parse(window.localStorage.getItem(lockKey) || '{}'); } catch (e) { state.locked = {}; }
  var map = L.map('gm-paint-map', {preferCanvas: true, minZoom: 8, maxZoom: 18, boxZoom: false});
  window.gridmapPlanner = {ready: false, state: state, map: map};

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function pct(x) { return (100 * x).toFixed(1) + '%'; }

  // The server chooses each area's colour (a graph colouring: neighbours never share one).
  function color(name) { return state.colours[name] || '#999999'; }

  // After a move the colouring may change anywhere: redraw the areas whose colour did.
  function recolour(colours) {
    if (!colours) { return; }
    var changed = {};
    Object.keys(colours).forEach(function (n) { if (state.colours[n] !== colours[n]) { changed[n] = true; } });
    state.colours = colours;
    Object.keys(state.features).forEach(function (c) {
      if (changed[state.features[c].properties.district]) { state.layers[c].setStyle(style(state.features[c])); }
    });
    Object.keys(changed).forEach(function (n) { if (state.districts[n]) { row(n); } });
  }

  function style(feature) {
    var d = feature.properties.district;
    return {color: '#ffffff', weight: 0.6, fillColor: color(d), fillOpacity: state.locked[d] ? 0.35 : 0.75};
  }

  function say(text) { errorBox.textContent = text || ''; }

  function send(body) {
    return window.gridmapApi('POST', '/api/plans/' + planId + '/reassign', body);
  }

  function lower(a, b) { return a.localeCompare(b, undefined, {numeric: true}); }

  function row(name) {
    var d = state.districts[name];
    var tr = document.getElementById('gm-area-' + name);
    if (!tr) {
      tr = document.createElement('tr');
      tr.id = 'gm-area-' + name;
      tr.setAttribute('data-area', name);
      tbody.appendChild(tr);
    }
    var low = state.bounds.min, high = state.bounds.max;
    if ((low === null || low === undefined) && state.bounds.epsilon) {
      low = state.ideal * (1 - state.bounds.epsilon);
      high = state.ideal * (1 + state.bounds.epsilon);
    }
    var scale = 2 * state.ideal || 1;
    var out = (low !== null && low !== undefined && d.population < low) || (high !== null && high !== undefined && d.population > high);
    var bar = '<span class="gm-devbar"><i class="' + (out ? 'gm-out' : '') + '" style="width:' +
      Math.min(100, 100 * d.population / scale).toFixed(1) + '%"></i>' +
      (low ? '<b style="left:' + (100 * low / scale).toFixed(1) + '%"></b>' : '') +
      (high ? '<b style="left:' + Math.min(100, 100 * high / scale).toFixed(1) + '%"></b>' : '') + '</span>';
    tr.className = (name === target.value ? 'gm-current' : '');
    tr.innerHTML = '<td><span class="gm-swatch" style="background:' + color(name) + '"></span>' + esc(name) + '</td>' +
      '<td class="gm-pop" data-population="' + d.population + '">' + d.population.toLocaleString() + ' ' + bar +
      ' <span class="' + (out ? 'gm-error' : '') + '">' + (d.deviation >= 0 ? '+' : '') + pct(d.deviation) + '</span></td>' +
      '<td>' + d.households.toLocaleString() + '</td><td>' + d.workload + '</td>' +
      '<td class="' + (d.pieces.length > 1 ? 'gm-error' : '') + '" title="' + esc(d.pieces.map(function (p) { return p.join(', '); }).join(' | ')) + '">' +
      (d.pieces.length > 1 ? d.pieces.length : (d.units ? 1 : 0)) + '</td>' +
      '<td>' + d.polsby_popper.toFixed(3) + '</td>' +
      '<td><input type="checkbox" class="gm-lock" aria-label="' + esc(W.lock) + ' ' + esc(name) + '"' + (state.locked[name] ? ' checked' : '') + '></td>';
  }

  function summary(m) {
    state.ideal = m.ideal_population;
    recolour(m.colours);
    document.getElementById('gm-summary').innerHTML =
      '<p><span id="gm-max-dev">' + esc(W.max_deviation) + ' ' + pct(m.max_deviation) + '</span> · ' +
      esc(W.cut_edges) + ' <span id="gm-cut">' + m.cut_edges + '</span> · ' +
      esc(W.mean_polsby_popper) + ' ' + m.mean_polsby_popper.toFixed(3) + ' · ' +
      esc(W.areas) + ' ' + m.districts + ' · ' + esc(W.groups_split) + ' ' + m.groups_split + '</p>';
    document.getElementById('gm-rules').innerHTML = m.rules.map(function (r) {
      return '<li class="' + (r.passes ? 'gm-pass' : 'gm-fail') + '" data-rule="' + esc(r.rule) + '" data-passes="' + r.passes + '">' +
        esc(window.gridmapSay({code: 'rule_name.' + r.rule}, r.rule)) + W.rule_colon +
        esc(window.gridmapSay(r.said, r.reason)) + '</li>';
    }).join('');
  }

  function options() {
    var current = target.value;
    target.innerHTML = state.order.map(function (n) {
      return '<option value="' + esc(n) + '">' + esc(n) + '</option>';
    }).join('');
    if (current && state.order.indexOf(current) >= 0) { target.value = current; }
  }

  function districtsChanged(per) {
    Object.keys(per).forEach(function (name) {
      state.districts[name] = per[name];
      if (state.order.indexOf(name) < 0) { state.order.push(name); options(); }
      row(name);
    });
  }

  function apply(answer) {
    state.version = answer.version;
    Object.keys(answer.changed).forEach(function (code) {
      var f = state.features[code];
      f.properties.district = answer.changed[code];
      state.layers[code].setStyle(style(f));
    });
    districtsChanged(answer.per_district);
    summary(answer);
    state.moves += 1;
  }

  function history() {
    undoButton.disabled = state.busy || !state.undo.length;
    redoButton.disabled = state.busy || !state.redo.length;
  }

  // changes: code -> area; done(before, after) records the step for undo or redo
  function move(changes, done) {
    if (state.busy) { return; }
    state.busy = true;
    history();
    say('');
    var before = {};
    send({changes: changes, version: state.version}).then(function (answer) {
      Object.keys(answer.changed).forEach(function (code) { before[code] = state.features[code].properties.district; });
      apply(answer);
      if (Object.keys(answer.changed).length) { done(before, answer.changed); }
    }, function (j) {
      say((j && j.message) || W.change_failed);
    }).then(function () {
      state.busy = false;
      history();
    });
  }

  function paintable(codes, into) {
    if (state.locked[into]) { say(W.area_locked.replace('{area}', into)); return false; }
    for (var i = 0; i < codes.length; i++) {
      var d = state.features[codes[i]].properties.district;
      if (state.locked[d]) { say(W.area_locked.replace('{area}', d)); return false; }
    }
    return true;
  }

  function chosen() {
    var fresh = newArea.value.trim();
    return fresh || target.value;
  }

  function mode() { return document.querySelector('input[name="gm-mode"]:checked').value; }

  function paint(features) {
    var into = chosen();
    var changes = {};
    var codes = [];
    features.forEach(function (f) {
      var p = f.properties;
      var unit = mode() === 'group' ? p.group : p.code;
      changes[unit] = into;
      codes = codes.concat(mode() === 'group' ? state.groups[p.group] : [p.code]);
    });
    codes = codes.filter(function (c) { return state.features[c].properties.district !== into; });
    if (!codes.length || !paintable(codes, into)) { return; }
    move(changes, function (before, after) {
      state.undo.push({before: before, after: after});
      state.redo = [];
      if (newArea.value.trim()) { newArea.value = ''; target.value = into; }
    });
  }

  undoButton.addEventListener('click', function () {
    var step = state.undo[state.undo.length - 1];
    if (!step) { return; }
    move(step.before, function () { state.redo.push(state.undo.pop()); });
  });
  redoButton.addEventListener('click', function () {
    var step = state.redo[state.redo.length - 1];
    if (!step) { return; }
    move(step.after, function () { state.undo.push(state.redo.pop()); });
  });
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === 'z') { e.preventDefault(); (e.shiftKey ? redoButton : undoButton).click(); }
  });

  tbody.addEventListener('change', function (e) {
    if (!e.target.classList.contains('gm-lock')) { return; }
    var name = e.target.closest('tr').getAttribute('data-area');
    if (e.target.checked) { state.locked[name] = true; } else { delete state.locked[name]; }
    window.localStorage.setItem(lockKey, JSON.stringify(state.locked));
    Object.keys(state.features).forEach(function (c) {
      if (state.features[c].properties.district === name) { state.layers[c].setStyle(style(state.features[c])); }
    });
  });
  tbody.addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr && !e.target.classList.contains('gm-lock')) {
      target.value = tr.getAttribute('data-area');
      state.order.forEach(row);
    }
  });
  target.addEventListener('change', function () { state.order.forEach(row); });

  // Brushing: with "Brush" on, the map does not pan; press, sweep over units, release.
  var sweep = null;
  brush.addEventListener('change', function () {
    if (brush.checked) { map.dragging.disable(); } else { map.dragging.enable(); }
  });
  document.addEventListener('mouseup', function () {
    if (!sweep) { return; }
    var features = Object.keys(sweep).map(function (c) { return state.features[c]; });
    sweep = null;
    paint(features);
  });

  function hover(f) {
    var p = f.properties;
    hoverBox.textContent = p.code + ' (' + W.neighborhood + ' ' + p.group + ') · ' +
      W.residents_in_area.replace('{residents}', p.population.toLocaleString()).replace('{area}', p.district);
  }

  fetch('/api/plans/' + planId + '/units', {headers: {Accept: 'application/json'}})
    .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
    .then(function (geo) {
      state.version = geo.version;
      state.bounds = geo.plan.bounds || {};
      state.order = Object.keys(geo.per_district).sort(lower);
      state.colours = geo.metrics.colours;
      var layer = L.geoJSON(geo, {
        style: style,
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          state.features[p.code] = f;
          state.layers[p.code] = lyr;
          (state.groups[p.group] = state.groups[p.group] || []).push(p.code);
          lyr.on('mouseover', function () {
            hover(f);
            if (sweep) { sweep[p.code] = true; lyr.setStyle({fillOpacity: 0.3}); }
          });
          lyr.on('mousedown', function () { if (brush.checked) { sweep = {}; sweep[p.code] = true; } });
          lyr.on('click', function () { if (!brush.checked) { paint([f]); } });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      summary(geo.metrics);
      options();
      Object.keys(geo.per_district).forEach(function (n) { state.districts[n] = geo.per_district[n]; });
      state.order.forEach(row);
      // The neighborhoods' outlines over the grids: what "a neighborhood at a time" paints.
      return fetch('/api/layers/' + encodeURIComponent(geo.layer) + '?zoom=14', {headers: {Accept: 'application/json'}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (outlines) {
          if (outlines) {
            L.geoJSON(outlines, {interactive: false, style: {color: '#333', weight: 1.2, fill: false}}).addTo(map);
          }
        });
    })
    .then(function () { window.gridmapPlanner.ready = true; history(); },
      function () { say(W.plan_unreadable); });
}());
