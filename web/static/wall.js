// The wall screen (大屏): the board's numbers, asked again every data-every seconds
// from data-api and written in place.  A failed fetch leaves the last numbers up and
// says so; the next tick tries again.
(function () {
  'use strict';
  var body = document.body;
  var api = body.getAttribute('data-api');
  var every = Number(body.getAttribute('data-every')) * 1000;
  var depts = document.getElementById('gm-wall-departments');
  var names = JSON.parse(depts.getAttribute('data-names'));
  var unrouted = depts.getAttribute('data-unrouted');

  function set(id, value) {
    var el = document.getElementById(id);
    var text = String(value);
    if (el.textContent !== text) {
      el.textContent = text;
      el.classList.remove('gm-changed');
      void el.offsetWidth;  // restart the highlight
      el.classList.add('gm-changed');
    }
  }

  function list(el, rows) {
    el.textContent = '';
    rows.slice(0, 8).forEach(function (row) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      var n = document.createElement('b');
      name.textContent = row[0];
      n.textContent = String(row[1]);
      li.appendChild(name);
      li.appendChild(n);
      el.appendChild(li);
    });
  }

  function draw(board) {
    set('gm-wall-open', board.open);
    set('gm-wall-due-soon', board.due_soon);
    set('gm-wall-overdue', board.overdue);
    var days = board.per_day;
    set('gm-wall-today', days.length ? days[days.length - 1].reports : 0);
    set('gm-wall-on-time', board.on_time_rate === null ? '–' : (board.on_time_rate * 100).toFixed(1) + '%');
    Array.prototype.forEach.call(document.querySelectorAll('#gm-wall-status b[data-status]'), function (b) {
      var n = board.by_status[b.getAttribute('data-status')] || 0;
      if (b.textContent !== String(n)) { b.textContent = String(n); }
    });
    list(depts, Object.keys(board.overdue_by_department).map(function (code) {
      return [names[code] || code || unrouted, board.overdue_by_department[code]];
    }));
    list(document.getElementById('gm-wall-communities'), board.overdue_by_community.map(function (c) {
      return [c.name, c.overdue];
    }));
    var now = new Date();
    document.getElementById('gm-wall-updated').textContent =
      ('0' + now.getHours()).slice(-2) + ':' + ('0' + now.getMinutes()).slice(-2) + ':' + ('0' + now.getSeconds()).slice(-2);
    body.classList.remove('gm-stale');
  }

  function tick() {
    fetch(api, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function () { body.classList.add('gm-stale'); })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
}());
