// A case's small map: its point and its grid's outline (the outline and the point are what
// an officer walks to; no tiles needed, the page works offline).  basemap.js, loaded
// before, sets what every map of the app shares.
(function () {
  'use strict';
  var box = document.getElementById('gm-case-map');
  if (!box || !window.L) { return; }
  var point = JSON.parse(box.getAttribute('data-point'));
  var grid = JSON.parse(box.getAttribute('data-grid') || 'null');
  // A small map (the shared class is sized for the public's report map): the place at a
  // glance, the page's actions stay in view on a phone.
  box.style.height = '260px';
  box.style.minHeight = '0';
  var map = L.map(box, {minZoom: 6, maxZoom: 19});
  var here = L.latLng(point[1], point[0]);
  L.circleMarker(here, {radius: 8, color: '#c0392b', fillOpacity: 0.7}).addTo(map);
  if (grid) {
    var outline = L.geoJSON(grid, {interactive: false, style: {color: '#2c7fb8', weight: 2, fillOpacity: 0.05}}).addTo(map);
    map.fitBounds(outline.getBounds().extend(here), {padding: [10, 10]});
  } else {
    map.setView(here, 17);
  }
  window.gridmapCaseMap = map;
})();
