/* gridmap: the officer's map. Data comes from the API by bounding box as the map moves,
 * so the page stays small whatever the number of incidents. */
(function () {
  'use strict';

  function query(params) {
    return Object.keys(params)
      .filter(function (k) { return params[k] !== '' && params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); })
      .join('&');
  }

  function escapeHtml(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // Only what a dialler needs: digits, + and the separators * # , ;
  function telLink(phone, label) {
    var digits = String(phone || '').replace(/[^0-9+*#,;]/g, '');
    if (!digits) { return escapeHtml(phone); }
    return '<a class="gm-tel" href="tel:' + digits + '" aria-label="' + escapeHtml(label) + '">' +
      escapeHtml(phone) + '</a>';
  }

  var GridMap = {};

  GridMap.init = function (map, cfg) {
    var t = cfg.text, cat = cfg.catalogue;
    var state = {pending: 0, ready: false, requests: 0, waiting: false};
    window.gridmapState = state;
    var titles = {};
    cfg.layers.forEach(function (spec) { titles[spec.name] = spec.title; });

    function getJSON(path, params) {
      var url = cfg.api + path + '?' + query(Object.assign({datum: cfg.datum, lang: cfg.lang}, params || {}));
      return fetch(url).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.message || r.statusText); }
          return body;
        });
      });
    }

    // A request counts as pending until its answer is drawn: 'ready' (the first complete
    // draw, which tests and the benchmark wait for) means on screen, not just received.
    function load(path, params, draw) {
      state.pending += 1;
      state.requests += 1;
      return getJSON(path, params).then(draw).catch(report).finally(function () {
        state.pending -= 1;
        if (state.pending === 0 && !state.ready) {
          state.ready = true;
          window.gridmapReady = performance.now();
          document.body.setAttribute('data-ready', '1');
        }
      });
    }

    // Without a basemap Leaflet knows no zoom range; fitBounds needs one.
    map.setMinZoom(6);
    map.setMaxZoom(19);
    var b = cfg.bounds;
    // Not animated: the first requests must ask for the view the map ends on, not the
    // one it starts from (an animated zoom left both asked for, one after the other).
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false});
    // On a phone the layer list folds into its button: the map needs the screen.
    var small = window.innerWidth < 600;
    // Put on the map once every overlay is listed: on the map, each addOverlay rebuilt the
    // whole list and measured it (a forced layout per overlay, a tenth of the first draw's
    // script time).
    var control = L.control.layers(null, null, {collapsed: small, position: 'topright'});
    // The scale bar: at the bottom on a desktop; under the zoom buttons on a phone, where
    // the panel takes the bottom of the screen.
    L.control.scale({position: small ? 'topleft' : 'bottomleft', imperial: false}).addTo(map);
    if (cfg.cityBase) {
      GridMap.base = GridmapBase.city(map, Object.assign({api: cfg.api, generation: cfg.generation.id,
                                                          datum: cfg.datum, outlines: false}, cfg.cityBase));
    }

    // -- boundaries ------------------------------------------------------------------
    var areaLayers = {};
    cfg.layers.forEach(function (spec) {
      var layer = L.geoJSON(null, {
        interactive: false,  // clicks go to the map: "what is here"
        style: function (feature) { return areaStyle(spec, feature.properties); }
      });
      layer.spec = spec;
      areaLayers[spec.name] = layer;
      if (spec.visible) { layer.addTo(map); }
      control.addOverlay(layer, '<span class="gm-swatch" style="border-color:' + spec.color + '"></span>' +
                         escapeHtml(spec.title));
    });

    function areaStyle(spec, props) {
      var style = {color: spec.color, weight: spec.weight, dashArray: spec.dashArray || null,
                   fill: false, opacity: 0.9};
      var focus = cfg.focus;
      var chosen = document.getElementById('gm-area');
      if (chosen && chosen.value && spec.name === cfg.communityLayer && props.code === chosen.value) {
        return Object.assign(style, {color: '#e31a1c', weight: 4, fill: true, fillOpacity: 0.06});
      }
      if (focus && spec.name === 'grid') {
        if (props.code === focus.grid) {
          return Object.assign(style, {color: '#e31a1c', weight: 4, fill: true, fillOpacity: 0.08});
        }
        if (props.parent_code === focus.parent) {
          return Object.assign(style, {color: '#555555', weight: 2, dashArray: '5 5'});
        }
      }
      return style;
    }

    function refreshAreas() {
      var zoom = map.getZoom(), bbox = map.getBounds().toBBoxString();
      Object.keys(areaLayers).forEach(function (name) {
        var layer = areaLayers[name];
        if (!map.hasLayer(layer)) { return; }
        var minZoom = layer.spec.minZoom || 0;
        if (cfg.focus && name === 'grid') { minZoom = 0; }
        if (zoom < minZoom) { layer.clearLayers(); return; }
        load('/layers/' + name, {bbox: bbox, zoom: zoom, generation: cfg.generation.id},
             function (fc) { layer.clearLayers(); layer.addData(fc); });
      });
    }

    // -- incidents -------------------------------------------------------------------
    // A cluster is a ring split by status in the legend's colours, its count in the middle;
    // its title says the same in words (colour is never the only signal).
    var statusOrder = Object.keys(cfg.statusColors);
    function clusterIcon(counts, total, hint) {
      var size = 28 + Math.min(26, Math.round(Math.log(total) * 4));
      var r = 15.9155, offset = 0, known = 0;  // a circumference of 100: dashes in percent
      var arcs = [], words = [];
      statusOrder.forEach(function (s) {
        var n = counts[s] || 0;
        if (!n) { return; }
        var share = 100 * n / total;
        arcs.push('<circle class="gm-arc" data-status="' + s + '" r="' + r + '" cx="20" cy="20" fill="none" ' +
                  'stroke="' + cfg.statusColors[s] + '" stroke-width="7" stroke-dasharray="' +
                  share.toFixed(3) + ' ' + (100 - share).toFixed(3) + '" stroke-dashoffset="' +
                  (25 - offset).toFixed(3) + '"></circle>');
        offset += share;
        known += n;
        words.push((cat.statuses[s] || s) + ' ' + n);
      });
      var label = t.cluster_of.replace('{n}', total) + (words.length ? ': ' + words.join(t.list_separator) : '') +
        (hint ? ' · ' + hint : '');
      var svg = '<svg viewBox="0 0 40 40" width="' + size + '" height="' + size + '" aria-hidden="true">' +
        '<circle r="' + r + '" cx="20" cy="20" fill="#fff" stroke="#999" stroke-width="7"></circle>' +
        arcs.join('') + '<text x="20" y="20" text-anchor="middle" dominant-baseline="central" font-size="' +
        [12, 12, 12, 12, 9.5][Math.min(4, String(total).length)] + '">' + total +
        '</text></svg>';
      return {
        icon: L.divIcon({className: 'gm-count', iconSize: [size, size],
                         html: '<div class="gm-ring" role="img" title="' + escapeHtml(label) + '" aria-label="' +
                               escapeHtml(label) + '">' + svg + '</div>'}),
        label: label
      };
    }

    function statusCluster(cluster) {
      var counts = {};
      cluster.getAllChildMarkers().forEach(function (m) {
        counts[m.options.status] = (counts[m.options.status] || 0) + 1;
      });
      return clusterIcon(counts, cluster.getChildCount()).icon;
    }

    var incidentPoints = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 17,
                                              showCoverageOnHover: false,
                                              iconCreateFunction: statusCluster});

    var incidentCounts = L.layerGroup();
    var incidents = L.layerGroup([incidentPoints, incidentCounts]).addTo(map);
    control.addOverlay(incidents, escapeHtml(t.incidents));

    // A stored UTC instant as the viewer's local "YYYY-MM-DD HH:MM".
    function localTime(utc) {
      var d = new Date(utc), pad = function (n) { return String(n).padStart(2, '0'); };
      return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes());
    }

    function incidentPopup(p) {
      var areas = Object.keys(p.areas || {}).map(function (layer) {
        return '<li>' + escapeHtml(titles[layer] || layer) + ': ' + escapeHtml(p.areas[layer]) + '</li>';
      }).join('');
      return '<div class="gm-popup"><strong>' + escapeHtml(cat.categories[p.category] || p.category) +
        '</strong><br>' + escapeHtml(t.status) + ': <span class="gm-status" style="color:' +
        cfg.statusColors[p.status] + '">' + escapeHtml(cat.statuses[p.status] || p.status) + '</span><br>' +
        escapeHtml(t.reported_at) + ': ' + escapeHtml(String(p.reported_at).replace('T', ' ').slice(0, 16)) +
        (p.due_utc ? '<br>' + escapeHtml(t.due) + ': ' + escapeHtml(localTime(p.due_utc)) : '') +
        (p.deadline ? ' <b class="gm-badge gm-deadline ' + (p.deadline === 'overdue' ? 'gm-late' : 'gm-soon') + '">' +
         escapeHtml(t[p.deadline]) + '</b>' : '') +
        '<br>' + escapeHtml(t.areas) + ':<ul>' + areas + '</ul>' +
        (cfg.seesCases ? '<a class="gm-case-link" href="/cases/' + encodeURIComponent(p.id) + '">' +
         escapeHtml(t.open_case) + '</a>' : '') + '</div>';
    }

    // Links from the board open the map filtered: ?status=, ?overdue=1, ?department=, ?area=.
    var linked = new URLSearchParams(window.location.search);
    if (linked.get('status')) { document.getElementById('gm-status').value = linked.get('status'); }
    if (linked.get('department')) { document.getElementById('gm-department').value = linked.get('department'); }
    if (linked.get('overdue') === '1') { document.getElementById('gm-overdue').checked = true; }
    // The area filter (a community: its grids' cases) shows in the panel, zooms to the area
    // and outlines it.
    var areaSelect = document.getElementById('gm-area');
    var areaLayerName = cfg.communityLayer;
    if (areaSelect && linked.get('area')) { areaSelect.value = linked.get('area'); }
    // The communities to choose from, by name and code, read when the choice is first used
    // (or at once when a link chose one: its name replaces its code).
    var areasFilled = false;
    function fillAreas() {
      if (areasFilled || !areaSelect) { return; }
      areasFilled = true;
      load('/layers/' + encodeURIComponent(areaLayerName) + '/labels', {generation: cfg.generation.id}, function (fc) {
        var chosen = areaSelect.value;
        var rows = fc.features.map(function (f) { return f.properties; })
          .sort(function (a, b) { return a.code < b.code ? -1 : a.code > b.code ? 1 : 0; });
        areaSelect.innerHTML = '<option value="">' + escapeHtml(t.all) + '</option>' + rows.map(function (a) {
          return '<option value="' + escapeHtml(a.code) + '">' + escapeHtml(a.name) + ' (' + escapeHtml(a.code) + ')</option>';
        }).join('');
        areaSelect.value = chosen;
      });
    }
    if (areaSelect) {
      ['focus', 'pointerdown'].forEach(function (e) { areaSelect.addEventListener(e, fillAreas); });
      if (linked.get('area')) { fillAreas(); }
    }
    function selectedArea() { return areaSelect ? areaSelect.value : (linked.get('area') || ''); }
    function zoomToArea() {
      var code = selectedArea();
      if (!code) { return; }
      load('/search', {q: code, generation: cfg.generation.id}, function (body) {
        var hit = body.results.filter(function (r) { return r.code === code; })[0];
        // Not animated, as the first view: the refresh asks for the view it ends on.
        if (hit) { map.fitBounds([[hit.bbox[1], hit.bbox[0]], [hit.bbox[3], hit.bbox[2]]], {animate: false}); }
      });
    }
    if (areaSelect) {
      areaSelect.addEventListener('change', function () {
        if (areaLayerName && areaLayers[areaLayerName] && !map.hasLayer(areaLayers[areaLayerName])) {
          areaLayers[areaLayerName].addTo(map);
        }
        Object.keys(areaLayers).forEach(function (name) {
          areaLayers[name].setStyle(function (f) { return areaStyle(areaLayers[name].spec, f.properties); });
        });
        zoomToArea();
      });
    }
    if (selectedArea() && !cfg.focus) { zoomToArea(); }

    function filters() {
      return {
        status: document.getElementById('gm-status').value,
        category: document.getElementById('gm-category').value,
        since: document.getElementById('gm-since').value,
        until: document.getElementById('gm-until').value,
        department: document.getElementById('gm-department').value,
        overdue: document.getElementById('gm-overdue').checked ? 1 : '',
        area: selectedArea(),
        grid: cfg.focus ? cfg.focus.grid : ''
      };
    }

    function refreshIncidents() {
      if (!map.hasLayer(incidents)) { return; }
      var params = Object.assign(filters(), {bbox: map.getBounds().toBBoxString(), zoom: map.getZoom(), limit: 3000});
      load('/incidents', params, function (fc) {
        incidentPoints.clearLayers();
        incidentCounts.clearLayers();
        state.incidentTotal = fc.total;
        if (fc.clustered) {
          fc.features.forEach(function (f) {
            var c = f.geometry.coordinates, p = f.properties;
            L.marker([c[1], c[0]], {icon: clusterIcon(p.statuses || {}, p.count, t.zoom_in_for_more).icon})
              .addTo(incidentCounts);
          });
          return;
        }
        var markers = fc.features.map(function (f) {
          var c = f.geometry.coordinates, p = f.properties;
          // A case due soon or overdue gets a thick ring of its warning's colour.
          var ring = cfg.deadlineColors[p.deadline];
          return L.circleMarker([c[1], c[0]], {status: p.status, radius: 6, weight: ring ? 4 : 1, color: ring || '#333',
                                               fillColor: cfg.statusColors[p.status] || '#999',
                                               fillOpacity: 0.9,
                                               className: 'gm-incident' + (p.deadline ? ' gm-incident-' + p.deadline : '')})
            .bindPopup(function () { return incidentPopup(p); });  // written when opened
        });
        incidentPoints.addLayers(markers);
      });
    }

    // -- hazards ---------------------------------------------------------------------
    function hazardPopup(p) {
      return '<div class="gm-popup"><strong>' + escapeHtml(p.name) + '</strong><br>' +
        escapeHtml(t.type) + ': ' + escapeHtml(cat.hazard_types[p.type] || p.type) + '<br>' +
        escapeHtml(t.risk_level) + ': ' + escapeHtml(cat.risk_levels[String(p.risk_level)]) + '<br>' +
        escapeHtml(t.next_inspection) + ': ' + escapeHtml(p.next_inspection || '') +
        (inspectionOverdue(p) ? ' <b class="gm-late">' + escapeHtml(cfg.lang === 'zh' ? '已逾期' : 'overdue') + '</b>' : '') +
        (cfg.seesCases ? '<a class="gm-case-link" href="/hazards/' + encodeURIComponent(p.id) + '">' +
         escapeHtml(cfg.lang === 'zh' ? '检查记录' : 'Inspections') + '</a>' : '') + '</div>';
    }
    // An inspection past its day is drawn with a thick magenta ring, as on the officer's list.
    var today = new Date().toISOString().slice(0, 10);
    function inspectionOverdue(p) { return !!p.next_inspection && p.next_inspection < today; }
    var hazards = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        var late = inspectionOverdue(f.properties);
        return L.circleMarker(latlng, {radius: 7, weight: late ? 4 : 2, color: late ? '#c51b7d' : '#000',
                                       fillColor: cfg.riskColors[String(f.properties.risk_level)],
                                       fillOpacity: 1, className: late ? 'gm-hazard gm-hazard-late' : 'gm-hazard'});
      },
      style: function (f) {
        var late = inspectionOverdue(f.properties);
        return {color: late ? '#c51b7d' : '#000', weight: late ? 3 : 1,
                fillColor: cfg.riskColors[String(f.properties.risk_level)],
                fillOpacity: 0.7, className: late ? 'gm-hazard gm-hazard-late' : 'gm-hazard'};
      },
      // Written when opened, not for each of the hundreds drawn.
      onEachFeature: function (f, layer) { layer.bindPopup(function () { return hazardPopup(f.properties); }); }
    });
    if (cfg.hazardsOn) { hazards.addTo(map); }
    control.addOverlay(hazards, escapeHtml(t.hazards));
    // Places where problems come back (issue 27 part 8): a circle each, loaded when the
    // overlay is turned on (?hotspots=1 turns it on: the hotspots page links so).
    if (cfg.seesHotspots) {
      var hotspots = L.geoJSON(null, {
        pointToLayer: function (f, latlng) {
          return L.circle(latlng, {radius: Math.max(f.properties.spread_m, 30), color: '#6a51a3',
                                   weight: 2, fillOpacity: 0.15, className: 'gm-hotspot'});
        },
        onEachFeature: function (f, layer) {
          layer.bindPopup(escapeHtml(f.properties.category_name) + ' · ' + f.properties.cases + ' ' +
                          escapeHtml(t.hotspot_cases) + ' · ' + escapeHtml(f.properties.area));
        }
      });
      var loadHotspots = function () {
        load('/hotspots', {}, function (fc) { hotspots.clearLayers(); hotspots.addData(fc); });
      };
      map.on('overlayadd', function (e) { if (e.layer === hotspots) { loadHotspots(); } });
      control.addOverlay(hotspots, escapeHtml(t.hotspots));
      if (linked.get('hotspots') === '1') { hotspots.addTo(map); loadHotspots(); }
    }
    control.addTo(map);

    function refreshHazards() {
      if (!map.hasLayer(hazards)) { return; }
      load('/hazards', {bbox: map.getBounds().toBBoxString()},
           function (fc) { hazards.clearLayers(); hazards.addData(fc); });
    }

    function refreshAll() { refreshAreas(); refreshIncidents(); refreshHazards(); }
    // The first view is asked for as soon as its layers exist, before the legend and the
    // panel's handlers are built: the answers are what the first draw waits for.
    refreshAll();

    // -- legend ----------------------------------------------------------------------
    var legend = L.control({position: small ? 'topright' : 'bottomright'});
    legend.onAdd = function () {
      // A fold of its own: open on a desktop, one tap away on a phone (where it would
      // cover the map).
      var div = L.DomUtil.create('details', 'gm-legend');
      div.open = !small;
      var rows = ['<em>' + escapeHtml(t.incidents) + '</em>'];
      Object.keys(cfg.statusColors).forEach(function (s) {
        rows.push('<i style="background:' + cfg.statusColors[s] + '"></i>' + escapeHtml(cat.statuses[s]));
      });
      Object.keys(cfg.deadlineColors).forEach(function (d) {
        rows.push('<i class="gm-ring" style="border-color:' + cfg.deadlineColors[d] + '"></i>' + escapeHtml(t[d]));
      });
      rows.push('<em>' + escapeHtml(t.hazards) + '</em>');
      Object.keys(cfg.riskColors).forEach(function (r) {
        rows.push('<i style="background:' + cfg.riskColors[r] + '"></i>' + escapeHtml(cat.risk_levels[r]));
      });
      div.innerHTML = '<summary>' + escapeHtml(t.legend) + '</summary>' + rows.join('<br>');
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);

    // -- what is here ----------------------------------------------------------------
    function lookupPopup(a) {
      if (!a.covered) {
        return '<div class="gm-popup gm-lookup">' + escapeHtml(t.not_covered) + '</div>';
      }
      var rows = [];
      ['areas', 'zones'].forEach(function (group) {
        Object.keys(a[group]).forEach(function (layer) {
          var area = a[group][layer];
          rows.push('<tr><th>' + escapeHtml(titles[layer] || layer) + '</th><td>' + escapeHtml(area.name) +
                    '</td><td class="gm-code">' + escapeHtml(area.code) + '</td></tr>');
        });
      });
      if (a.officer) {
        rows.push('<tr><th>' + escapeHtml(t.officer) + '</th><td class="gm-officer">' + escapeHtml(a.officer.name) +
                  '</td><td>' + telLink(a.officer.phone, t.call + ' ' + a.officer.name) + '</td></tr>');
      }
      Object.keys(a.zone_officers).forEach(function (layer) {
        var o = a.zone_officers[layer];
        rows.push('<tr><th>' + escapeHtml(t.duty_officer) + ' · ' + escapeHtml(titles[layer] || layer) +
                  '</th><td>' + escapeHtml(o.name) + '</td><td>' + telLink(o.phone, t.call + ' ' + o.name) + '</td></tr>');
      });
      var border = a.on_border ? '<p class="gm-border">' + escapeHtml(t.on_border) + '</p>' : '';
      var report = cfg.canReport ? '<a id="gm-report-here" class="gm-case-link" href="/cases/new?lon=' +
        a.lon.toFixed(7) + '&amp;lat=' + a.lat.toFixed(7) + '">' +
        escapeHtml(t.report_here) + '</a>' : '';
      return '<div class="gm-popup gm-lookup"><strong>' + escapeHtml(t.what_is_here) + '</strong>' +
        '<table>' + rows.join('') + '</table>' + border + report + '</div>';
    }

    // A popup no wider than the screen (a 360 px phone: its numbers must show), panned
    // clear of the zoom buttons and the layer button at the top and, on a phone, of the
    // panel at the bottom; what does not fit scrolls inside it.
    function popupFit() {
      var size = map.getSize(), top = 90, bottom = 10;
      var panel = document.getElementById('gm-panel').getBoundingClientRect();
      var box = map.getContainer().getBoundingClientRect();
      if (panel.left - box.left < 60 && panel.top - box.top > size.y / 3) {  // the panel below
        bottom = Math.max(bottom, box.bottom - panel.top + 10);
      }
      return {maxWidth: Math.max(160, Math.min(420, size.x - 100)), minWidth: Math.min(200, size.x - 100),
              maxHeight: Math.max(120, size.y - top - bottom - 40),
              autoPanPaddingTopLeft: L.point(50, top), autoPanPaddingBottomRight: L.point(10, bottom)};
    }

    map.on('click', function (e) {
      load('/lookup', {lon: e.latlng.lng.toFixed(7), lat: e.latlng.lat.toFixed(7),
                       generation: cfg.generation.id}, function (answer) {
        L.popup(popupFit()).setLatLng(e.latlng).setContent(lookupPopup(answer)).openOn(map);
      });
    });

    // -- search and filters ----------------------------------------------------------
    var results = document.getElementById('gm-search-results');
    var input = document.getElementById('gm-search-q');
    var search = debounce(function () {
      var q = input.value.trim();
      if (!q) { results.innerHTML = ''; return; }
      load('/search', {q: q, generation: cfg.generation.id}, function (body) {
        if (!body.results.length) { results.innerHTML = '<div>' + escapeHtml(t.not_found) + '</div>'; return; }
        results.innerHTML = body.results.map(function (r, i) {
          return '<a href="#" data-i="' + i + '">' + escapeHtml(r.name) + ' <small>' + escapeHtml(r.code) + '</small></a>';
        }).join('');
        Array.prototype.forEach.call(results.querySelectorAll('a'), function (a) {
          a.addEventListener('click', function (ev) {
            ev.preventDefault();
            var bb = body.results[Number(a.getAttribute('data-i'))].bbox;
            map.fitBounds([[bb[1], bb[0]], [bb[3], bb[2]]]);
            results.innerHTML = '';
          });
        });
      });
    }, 250);
    input.addEventListener('input', search);
    document.getElementById('gm-search').addEventListener('submit', function (ev) { ev.preventDefault(); search(); });
    document.getElementById('gm-filters').addEventListener('change', refreshIncidents);

    // Keep the panel's clicks and scrolls away from the map.  On a phone it starts folded
    // to its title (the map first), unless it shows a grid: then the grid is the point.
    if (window.matchMedia('(max-width: 600px)').matches && !cfg.focus) {
      document.getElementById('gm-panel').open = false;
    }
    L.DomEvent.disableClickPropagation(document.getElementById('gm-panel'));
    L.DomEvent.disableScrollPropagation(document.getElementById('gm-panel'));

    function report(err) {
      if (window.console) { console.warn('gridmap:', err.message || err); }
    }

    // 'waiting' tells tests (and anyone watching) that a refresh is scheduled but not sent.
    var refreshSoon = debounce(function () { state.waiting = false; refreshAll(); }, 150);
    map.on('moveend', function () { state.waiting = true; refreshSoon(); });
    map.on('overlayadd', refreshAll);
    // Handles for tests and benchmarks.
    GridMap.map = map;
    GridMap.layers = areaLayers;
    GridMap.incidents = incidentPoints;
    GridMap.incidentCounts = incidentCounts;
    GridMap.hazards = hazards;
  };

  window.GridMap = GridMap;
}());
