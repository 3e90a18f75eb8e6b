// "Here": the browser's position into a form's #gm-lon and #gm-lat when #gm-here is
// pressed (errors into #gm-here-error); then done(lon, lat).  Both report forms use it.
window.gridmapHere = function (done) {
  'use strict';
  var button = document.getElementById('gm-here');
  if (!button) { return; }
  var W = JSON.parse(document.getElementById('gm-words').textContent);  // the page's words (web/i18n.SCRIPT_TEXT)
  button.addEventListener('click', function () {
    var error = document.getElementById('gm-here-error');
    if (!navigator.geolocation) { error.textContent = W.no_position; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById('gm-lon').value = pos.coords.longitude.toFixed(7);
      document.getElementById('gm-lat').value = pos.coords.latitude.toFixed(7);
      error.textContent = '';
      done(pos.coords.longitude, pos.coords.latitude);
    }, function (e) { error.textContent = e.message; }, {enableHighAccuracy: true, timeout: 15000});
  });
};
