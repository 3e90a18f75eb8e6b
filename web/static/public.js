// The public report page's map: a click puts the report's point (its lon and lat fill the
// form).  Without basemap tiles (the default) the city's own areas are the base, offline.
(function () {
  'use strict';
  var box = document.getElementById('gm-public-map');
  if (!box || !window.L) { return; }
  var lon = document.getElementById('gm-lon');
  var lat = document.getElementById('gm-lat');
  var b = JSON.parse(box.getAttribute('data-bounds'));
  var map = L.map(box, {minZoom: 6, maxZoom: 19});
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  var marker = null;
  window.gridmapPublic = {map: map, ready: false};

  function put(latlng) {
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.circleMarker(latlng, {radius: 8, color: '#c0392b', fillOpacity: 0.7}).addTo(map);
    }
    lon.value = latlng.lng.toFixed(7);
    lat.value = latlng.lat.toFixed(7);
  }

  // "已有人上报": open cases of the chosen category near the point, to follow instead.
  var nearby = document.getElementById('gm-nearby');
  var category = document.getElementById('gm-category-pick');
  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function offer() {
    if (!nearby || !lon.value || !lat.value || !category.value) { return; }
    var q = 'lon=' + encodeURIComponent(lon.value) + '&lat=' + encodeURIComponent(lat.value) +
      '&category=' + encodeURIComponent(category.value);
    fetch('/public/nearby?' + q, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : {cases: []}; })
      .then(function (found) {
        var d = nearby.dataset;
        if (!found.cases.length) { nearby.hidden = true; nearby.innerHTML = ''; return; }
        var items = found.cases.map(function (c) {
          return '<li data-case="' + c.id + '">' + esc(c.category) + ' · ' + esc(c.status) +
            ' · ' + c.metres + ' ' + esc(d.away) + ' · ' + esc(d.reported) + ' ' + esc(c.reported) +
            ' <button type="submit" class="gm-button gm-follow-case" formnovalidate formaction="' +
            esc(d.follow) + '" name="follow" value="' + c.id + '">' + esc(d.button) + '</button></li>';
        });
        nearby.innerHTML = '<h2>' + esc(d.title) + '</h2><p>' + esc(d.hint) + '</p><ul>' +
          items.join('') + '</ul>';
        nearby.hidden = false;
      })
      .catch(function () {});  // no answer: nothing to offer, the report goes as it is
  }
  if (category) { category.addEventListener('change', offer); }

  map.on('click', function (e) { put(e.latlng); offer(); });
  window.gridmapHere(function (x, y) {
    put(L.latLng(y, x));
    offer();
    map.setView([y, x], Math.max(map.getZoom(), 16));
  });
  [lon, lat].forEach(function (el) {
    el.addEventListener('change', function () {
      if (lon.value && lat.value) { put(L.latLng(+lat.value, +lon.value)); offer(); }
    });
  });
  // Under the point: the configured tiles, or the city's own areas with their names, so
  // that people find their street (basemap.js).
  var base = JSON.parse(box.getAttribute('data-base'));
  if (base.tiles) {
    GridmapBase.tiles(map, base);
    window.gridmapPublic.ready = true;
  } else {
    window.gridmapPublic.base = GridmapBase.city(map, Object.assign({datum: 'wgs84', onDraw: function () {
      window.gridmapPublic.ready = true;  // the first view's base is drawn
    }}, base));
  }
})();
