// The compare page: two maps of the same grids, coloured by their area before and after,
// panning and zooming together; a grid under the mouse is outlined on both maps and its
// code, population and two areas shown.  Data: the plans' units API (GeoJSON).
(function () {
  'use strict';
  var root = document.getElementById('gm-compare');
  if (!root) { return; }
  var cfg = JSON.parse(root.getAttribute('data-config'));
  var W = JSON.parse(document.getElementById('gm-words').textContent);  // the page's words (web/i18n.SCRIPT_TEXT)
  var hover = document.getElementById('gm-hover');
  var state = window.gridmapCompare = {ready: false, loaded: 0};
  var sides = {
    before: {el: 'gm-map-before', url: cfg.before, key: cfg.beforeKey, byCode: {}},
    after: {el: 'gm-map-after', url: cfg.after, key: 'district', byCode: {}}
  };
  var PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0',
    '#f032e6', '#bcf60c', '#fabebe', '#008080', '#e6beff', '#9a6324', '#fffac8', '#800000',
    '#aaffc3', '#808000', '#ffd8b1', '#000075', '#808080'];

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // Same area name, same colour on both maps (a hash: no table to keep in step).
  function colour(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) { h = (h * 31 + name.charCodeAt(i)) % 1000003; }
    return PALETTE[h % PALETTE.length];
  }

  var moved = {};
  (cfg.moved || []).forEach(function (c) { moved[c] = true; });

  // Grids that change area are outlined (dashed) on both maps; the one under the mouse bold.
  function style(side, feature, lit) {
    var m = moved[feature.properties.code];
    return {
      color: lit || m ? '#000' : '#555', weight: lit ? 3 : m ? 1.5 : 0.5,
      dashArray: m && !lit ? '4 3' : null, fillOpacity: lit ? 0.85 : 0.6,
      fillColor: colour(String(feature.properties[side.key]))
    };
  }

  var syncing = false;  // a view set from the other map must not echo back
  function follow(from, to) {
    from.on('move zoomend', function () {
      if (syncing) { return; }
      syncing = true;
      to.setView(from.getCenter(), from.getZoom(), {animate: false});
      syncing = false;
    });
  }

  var lit = null;
  function show(code) {
    if (lit) {
      Object.keys(sides).forEach(function (k) {
        var l = sides[k].byCode[lit];
        if (l) { l.setStyle(style(sides[k], l.feature, false)); }
      });
    }
    lit = code;
    var rows = {};
    Object.keys(sides).forEach(function (k) {
      var l = sides[k].byCode[code];
      if (l) { l.setStyle(style(sides[k], l.feature, true)); l.bringToFront(); rows[k] = l.feature.properties; }
    });
    var p = rows.after || rows.before;
    if (!p) { return; }
    var before = rows.before ? rows.before[sides.before.key] : '';
    var after = rows.after ? rows.after.district : '';
    hover.innerHTML = esc(W.grid) + ' <b id="gm-hover-code">' + esc(code) + '</b> · ' +
      esc(W.population) + ' ' + esc(p.population) + ' · ' + esc(W.before) + ' ' +
      '<span class="gm-code">' + esc(before) + '</span> → ' + esc(W.after) + ' ' +
      '<span class="gm-code">' + esc(after) + '</span>' +
      (moved[code] ? ' <b class="gm-moved">' + esc(W.changes_area) + '</b>' : '');
    hover.setAttribute('data-code', code);
  }

  function draw(side, data) {
    var map = side.map;
    side.layer = L.geoJSON(data, {
      style: function (f) { return style(side, f, false); },
      onEachFeature: function (f, layer) {
        side.byCode[f.properties.code] = layer;
        layer.on('mouseover click', function () { show(f.properties.code); });
      }
    }).addTo(map);
    state.loaded += 1;
    if (state.loaded === 2) {
      syncing = true;
      sides.after.map.fitBounds(sides.after.layer.getBounds(), {animate: false});
      sides.before.map.setView(sides.after.map.getCenter(), sides.after.map.getZoom(), {animate: false});
      syncing = false;
      state.ready = true;
    }
  }

  Object.keys(sides).forEach(function (k) {
    var side = sides[k];
    side.map = L.map(side.el, {preferCanvas: false, zoomSnap: 0.25});
    side.map.setView([0, 0], 2);
  });
  follow(sides.before.map, sides.after.map);
  follow(sides.after.map, sides.before.map);
  state.maps = {
    center: function (k) { var c = sides[k].map.getCenter(); return [c.lat, c.lng, sides[k].map.getZoom()]; },
    pan: function (k, dx, dy) { sides[k].map.panBy([dx, dy], {animate: false}); },
    zoom: function (k, z) { sides[k].map.setZoom(z, {animate: false}); },
    show: show,
    focus: function (code) {
      sides.after.map.fitBounds(sides.after.byCode[code].getBounds(), {animate: false, maxZoom: 15});
    },
    // Where a place is on the page, for a test to put the mouse there.
    point: function (k, lat, lng) {
      var p = sides[k].map.latLngToContainerPoint([lat, lng]);
      var box = document.getElementById(sides[k].el).getBoundingClientRect();
      return [box.left + p.x, box.top + p.y];
    }
  };

  var cache = {};
  Object.keys(sides).forEach(function (k) {
    var side = sides[k];
    // Today's areas come with the plan's own units: one request for both maps.
    cache[side.url] = cache[side.url] || fetch(side.url, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw new Error(b.message); } return b; }); });
    cache[side.url].then(function (data) { draw(side, data); }).catch(function (e) {
      hover.innerHTML = '<span class="gm-error">' + esc(e.message) + '</span>';
      state.error = e.message;
    });
  });
})();
