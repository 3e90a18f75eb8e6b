// The public report page's map: the city's outline, a click puts the report's point
// (its lon and lat fill the form).  No basemap tiles: the page works offline.
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

  map.on('click', function (e) { put(e.latlng); });
  window.gridmapHere(function (x, y) {
    put(L.latLng(y, x));
    map.setView([y, x], Math.max(map.getZoom(), 16));
  });
  [lon, lat].forEach(function (el) {
    el.addEventListener('change', function () {
      if (lon.value && lat.value) { put(L.latLng(+lat.value, +lon.value)); }
    });
  });
  // The outlines of the level under the city (streets) help people find the place.
  fetch('/api/layers/' + encodeURIComponent(box.getAttribute('data-outline')) + '?zoom=12', {headers: {Accept: 'application/json'}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (geo) {
      if (geo) {
        L.geoJSON(geo, {interactive: false, style: {color: '#2c7fb8', weight: 1.5, fill: false}}).addTo(map);
      }
    })
    .finally(function () { window.gridmapPublic.ready = true; });
})();
