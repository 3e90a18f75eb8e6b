/* What every map of the app shares (the officer's, the public's, the planner's, the
 * comparison): Leaflet's attribution without the flag, the configured basemap tiles and,
 * where there are none (the offline default), the city's own districts, streets and
 * communities with their names as a light base, so that a citizen can find their street.
 * Load it right after leaflet.js. */
(function () {
  'use strict';

  // Leaflet's default prefix carries a national flag, which a city's deployment does not
  // show: a plain link instead (set before any map is created).
  L.Control.Attribution.prototype.options.prefix =
    '<a href="https://leafletjs.com" title="Leaflet">Leaflet</a>';

  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== undefined && params[k] !== ''; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }

  function escapeHtml(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  var Base = {};

  // The configured basemap (web/basemaps.py): {tiles: [...], attribution, subdomains}.
  Base.tiles = function (map, basemap) {
    (basemap.tiles || []).forEach(function (url) {
      L.tileLayer(url, {attribution: basemap.attribution, subdomains: basemap.subdomains,
                        maxZoom: 19}).addTo(map);
    });
  };

  // The city's own base: opts = {api, levels: [{name, title, count}] coarse to fine (the
  // hierarchy above the grids), bounds: the city's [w, s, e, n], generation, datum,
  // outlines: draw the areas (the top level filled) as well as the names; false where
  // the map draws them itself (the officer's map: its overlays),
  // onDraw: called after each view's base is drawn}.
  // The coarsest level is filled in a light tone; names are written for the finest level
  // whose areas are wide enough on screen at this zoom to hold one (districts when the
  // whole city shows, streets, then communities as one zooms in).
  Base.city = function (map, opts) {
    var levels = opts.levels || [];
    if (!levels.length) { return null; }
    ['gm-base', 'gm-base-labels'].forEach(function (name, i) {
      if (!map.getPane(name)) { map.createPane(name).style.zIndex = 210 + 140 * i; }
    });
    map.getPane('gm-base-labels').style.pointerEvents = 'none';
    var b = opts.bounds;
    var midLat = (b[1] + b[3]) / 2 * Math.PI / 180;
    var cityArea = (b[2] - b[0]) * Math.cos(midLat) * (b[3] - b[1]);  // square degrees, about
    // An area's typical width in screen pixels at zoom z.
    function width(level, z) {
      return Math.sqrt(cityArea / Math.max(1, level.count)) * 256 * Math.pow(2, z) / 360;
    }
    var shapes = L.layerGroup().addTo(map);
    var labels = L.layerGroup().addTo(map);
    var state = {ready: false, labelled: null};
    var asked = 0;

    function get(path, params) {
      var url = opts.api + path + '?' + query(Object.assign({datum: opts.datum, generation: opts.generation}, params));
      return fetch(url, {headers: {Accept: 'application/geo+json'}})
        .then(function (r) { return r.ok ? r.json() : {features: []}; });
    }

    function refresh() {
      var z = map.getZoom(), bbox = map.getBounds().toBBoxString(), mine = ++asked;
      var drawn = levels.filter(function (level, i) { return i === 0 || width(level, z) >= 40; });
      var named = null;
      levels.forEach(function (level) { if (width(level, z) >= 110) { named = level; } });
      named = named || levels[0];
      var wanted = [];
      drawn.forEach(function (level, i) {
        if (!opts.outlines) { return; }  // the map draws the areas itself: names only
        wanted.push(get('/layers/' + encodeURIComponent(level.name), {bbox: bbox, zoom: z}).then(function (fc) {
          return L.geoJSON(fc, {pane: 'gm-base', interactive: false, style: i === 0 ? {
            color: '#b9b3a3', weight: 2, fill: true, fillColor: '#f3f0e8', fillOpacity: 1
          } : {color: '#c8c2b2', weight: 1, fill: false, dashArray: i > 1 ? '4 3' : null}});
        }));
      });
      wanted.push(get('/layers/' + encodeURIComponent(named.name) + '/labels', {bbox: bbox}).then(function (fc) {
        return L.geoJSON(fc, {pointToLayer: function (f, latlng) {
          return L.marker(latlng, {pane: 'gm-base-labels', interactive: false, keyboard: false,
            icon: L.divIcon({className: 'gm-base-label', iconSize: null,
                             html: '<span>' + escapeHtml(f.properties.name) + '</span>'})});
        }});
      }));
      Promise.all(wanted).then(function (layers) {
        if (mine !== asked) { return; }  // a later view's answers are on their way
        shapes.clearLayers();
        labels.clearLayers();
        layers.slice(0, -1).forEach(function (x) { shapes.addLayer(x); });
        labels.addLayer(layers[layers.length - 1]);
        state.labelled = named.name;
      }).catch(function () {}).finally(function () {
        state.ready = true;
        if (opts.onDraw) { opts.onDraw(state); }
      });
    }

    map.on('moveend', refresh);
    if (map._loaded) { refresh(); } else { map.whenReady(refresh); }
    return state;
  };

  window.GridmapBase = Base;
}());
