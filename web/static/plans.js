// The plans page: new plans from today's areas, a file, or an automatic run followed by
// its job (progress bar from the time budget, the best plan so far from the job's
// messages; Stop keeps the best plan).
(function () {
  'use strict';
  var W = JSON.parse(document.getElementById('gm-words').textContent);  // the page's words (web/i18n.SCRIPT_TEXT)
  var error = document.getElementById('gm-plan-error');

  function fail(answer) {
    var text = (answer && (answer.message || answer.error)) || W.request_failed;
    if (answer && answer.reasons) {  // each reason in the page's language
      text = W.no_plan_satisfies + answer.reasons.map(function (r) {
        return window.gridmapSay(r.said, r.reason || r.message || JSON.stringify(r));
      }).join(W.reasons_separator);
    }
    error.textContent = text;
  }

  function open(id) { window.location.href = '/plans/' + id; }

  var send = window.gridmapApi;

  function values(form) {
    var out = {};
    new FormData(form).forEach(function (v, k) { if (v !== '') { out[k] = v; } });
    return out;
  }

  document.getElementById('gm-new-today').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = values(e.target);
    send('POST', '/api/plans', {name: v.name, from_layer: v.from_layer, split_into: 'grid'})
      .then(function (j) { open(j.id); }, fail);
  });

  document.getElementById('gm-new-file').addEventListener('submit', function (e) {
    e.preventDefault();
    send('POST', '/api/plans', new FormData(e.target)).then(function (j) { open(j.id); }, fail);
  });

  var auto = document.getElementById('gm-new-auto');
  var box = document.getElementById('gm-auto-job');
  var bar = document.getElementById('gm-auto-bar');
  var state = document.getElementById('gm-auto-state');
  var message = document.getElementById('gm-auto-message');
  var link = document.getElementById('gm-auto-open');
  var stop = document.getElementById('gm-auto-stop');
  var valid = document.getElementById('gm-auto-valid');
  var job = null;
  var budget = 1;

  function follow() {
    send('GET', '/api/jobs/' + job).then(function (j) {
      state.textContent = W['job_' + j.state] || j.state;
      state.setAttribute('data-state', j.state);
      var said = j.said || [];
      var shown = function (i) { return window.gridmapSay(said[i], j.messages[i]).trim(); };
      if (j.messages.length) { message.textContent = shown(j.messages.length - 1); }
      // The moment a plan within every rule exists stays shown: from then on Stop keeps one.
      j.messages.forEach(function (m, i) {
        if ((said[i] && said[i].code === 'run.first_valid') || m.indexOf('first plan within every rule') >= 0) {
          valid.textContent = shown(i);
        }
      });
      var running = j.state === 'queued' || j.state === 'running';
      bar.value = running ? Math.min(99, 100 * j.seconds / budget) : 100;
      if (running) { window.setTimeout(follow, 500); return; }
      stop.hidden = true;
      document.getElementById('gm-auto-start').disabled = false;
      if (j.plan_id) {
        link.href = '/plans/' + j.plan_id;
        link.hidden = false;
      }
      if (j.error) { fail({message: j.error}); }
    }, fail);
  }

  auto.addEventListener('submit', function (e) {
    e.preventDefault();
    error.textContent = '';
    var v = values(auto);
    var body = {name: v.name, balance: v.balance, parent: v.parent, split_into: 'grid'};
    ['k', 'min', 'max', 'seconds'].forEach(function (k) { if (v[k] !== undefined) { body[k] = Number(v[k]); } });
    budget = body.seconds || 8;
    send('POST', '/api/plans/auto', body).then(function (j) {
      job = j.id;
      box.hidden = false;
      stop.hidden = false;
      link.hidden = true;
      valid.textContent = '';
      bar.value = 0;
      document.getElementById('gm-auto-start').disabled = true;
      follow();
    }, fail);
  });

  stop.addEventListener('click', function () {
    if (job) { send('DELETE', '/api/jobs/' + job).catch(fail); }
  });
}());
