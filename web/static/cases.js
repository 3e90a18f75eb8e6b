// The report form: "here" from the browser's position, and what the point would get
// (areas, zones, officer, department) shown before saving.
(function () {
  'use strict';
  var form = document.getElementById('gm-report-form');
  if (!form) { return; }
  var lon = document.getElementById('gm-lon');
  var lat = document.getElementById('gm-lat');
  var category = document.getElementById('gm-category-pick');
  var box = document.getElementById('gm-preview');
  var zh = document.documentElement.lang.indexOf('zh') === 0;
  var titles = JSON.parse(box.getAttribute('data-titles') || '{}');

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function row(th, td, id) {
    return '<tr><th>' + esc(th) + '</th><td' + (id ? ' id="' + id + '"' : '') + '>' + td + '</td></tr>';
  }

  function render(p) {
    var rows = [];
    var a = p.lookup;
    if (!a.covered) { box.innerHTML = '<p class="gm-error">' + (zh ? '不在任何区域内' : 'Outside every area') + '</p>'; return; }
    ['areas', 'zones'].forEach(function (group) {
      Object.keys(a[group]).forEach(function (layer) {
        var x = a[group][layer];
        rows.push(row(titles[layer] || layer, esc(x.name) + ' <span class="gm-code">' + esc(x.code) + '</span>'));
      });
    });
    if (a.officer) { rows.push(row(zh ? '网格员' : 'Grid officer', esc(a.officer.name) + ' ' + esc(a.officer.phone), 'gm-preview-officer')); }
    if (p.department) {
      var d = esc(zh ? p.department.name_zh : p.department.name_en);
      if (p.zone) { d += ' <span class="gm-code">' + esc(p.zone) + '</span>'; }
      if (p.duty_officer) { d += ' · ' + esc(p.duty_officer.name); }
      rows.push(row(zh ? '处置部门' : 'Department', d, 'gm-preview-department'));
    }
    box.innerHTML = '<table class="gm-kv">' + rows.join('') + '</table>';
  }

  // "已有人上报": open cases of the category near the point, each a link to open it.
  var nearby = document.getElementById('gm-nearby');
  function offer() {
    if (!nearby || !lon.value || !lat.value || !category.value) { return; }
    var q = 'lon=' + encodeURIComponent(lon.value) + '&lat=' + encodeURIComponent(lat.value) +
      '&category=' + encodeURIComponent(category.value);
    fetch('/api/cases/nearby?' + q, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : {cases: []}; })
      .then(function (found) {
        if (!found.cases.length) { nearby.hidden = true; nearby.innerHTML = ''; return; }
        var d = nearby.dataset;
        nearby.innerHTML = '<h2>' + esc(d.title) + '</h2><ul>' + found.cases.map(function (c) {
          return '<li data-case="' + c.id + '"><a href="/cases/' + c.id + '">#' + c.id + '</a> ' +
            esc(c.category_name) + ' · ' + esc(c.status_name) + ' · ' + c.metres + ' ' + esc(d.away) + '</li>';
        }).join('') + '</ul>';
        nearby.hidden = false;
      })
      .catch(function () {});  // no network (offline.js keeps the report): nothing to offer
  }

  function refresh() {
    offer();
    if (!lon.value || !lat.value) { return; }
    var q = 'lon=' + encodeURIComponent(lon.value) + '&lat=' + encodeURIComponent(lat.value);
    if (category.value) { q += '&category=' + encodeURIComponent(category.value); }
    fetch('/api/cases/preview?' + q, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw new Error(b.message); } return b; }); })
      .then(render)
      .catch(function (e) {
        // A TypeError is fetch's "no network" (a phone without signal: offline.js keeps
        // the report); anything else is the server's message.
        var text = e instanceof TypeError ? (zh ? '没有网络：联网后显示归属' : 'No connection: who handles it is shown when it returns') : e.message;
        box.innerHTML = '<p class="gm-error">' + esc(text) + '</p>';
      });
  }

  [lon, lat, category].forEach(function (el) { el.addEventListener('change', refresh); });
  window.gridmapHere(refresh);
  refresh();
})();
