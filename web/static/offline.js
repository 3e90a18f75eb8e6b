// The report form and the inspection form on a phone without signal (issue 27 part 5).
//
// A submission becomes a draft on the phone (drafts.js) and is sent from there: with a
// connection at once (then to the case, or back to the hazard, as the form did), without
// one it waits, the page says "waiting to send (N)", and it is sent when the connection
// returns: on the 'online' event, on the next load of either page, or by the service
// worker on Background Sync where the browser has it.  The service worker (offline-sw.js)
// keeps these pages and their scripts so that they open without a connection.
//
// The session may end while the phone is offline: the server then answers 401, the drafts
// stay, and the page asks the officer to sign in again; the sign-in page brings them back
// here, and this page's load sends them.  Drafts are their maker's: another user signed in
// on the same phone does not send them.
(function () {
  'use strict';
  var script = document.currentScript;
  var form = document.getElementById('gm-report-form') || document.getElementById('gm-inspect');
  var Q = window.GridmapDrafts;
  if (!form || !Q || !window.indexedDB) { return; }  // the form posts as it always did
  var T = JSON.parse(script.getAttribute('data-texts'));
  var api = script.getAttribute('data-api');
  var done = script.getAttribute('data-done');
  var kind = form.id === 'gm-report-form' ? 'case' : 'inspection';
  var user = (document.getElementById('gm-user') || {}).textContent || '';
  var keyField = form.querySelector('input[name=idempotency_key]');
  var button = form.querySelector('button[type=submit]');

  var box = document.createElement('div');
  box.id = 'gm-drafts';
  box.className = 'gm-note';
  box.setAttribute('aria-live', 'polite');
  box.hidden = true;
  form.parentNode.insertBefore(box, form);

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function link(d, answer) {
    var href = fill(d.done, {id: answer.id});
    return '<a href="' + esc(href) + '">' + esc(T['offline_' + d.kind]) + ' #' + esc(answer.id) + '</a>';
  }

  // What the officer sees: how many wait, why, the ones refused (with a way to drop them),
  // and the ones just sent.
  var state = {status: '', sent: []};
  async function show() {
    var drafts = await Q.all();
    var waiting = drafts.filter(function (d) { return !d.refused; });
    var html = [];
    if (waiting.length) {
      html.push('<p id="gm-drafts-waiting"><strong>' + esc(fill(T.offline_waiting, {n: waiting.length})) + '</strong></p>');
      // What waits, oldest first (the order they will be sent in), with when it was made.
      html.push('<ol id="gm-drafts-list">' + waiting.map(function (d) {
        var at = new Date(d.created).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
        return '<li>' + esc(T['offline_' + d.kind]) + ' · ' + esc(d.summary) + ' <time>' + esc(at) + '</time></li>';
      }).join('') + '</ol>');
    }
    if ((state.status === 'offline' || state.status === 'later') && waiting.length) {
      var why = state.status === 'offline' ? T.offline_saved : T.offline_later;
      html.push('<p id="gm-drafts-offline">' + esc(why) + '</p>');
    }
    if (state.status === 'signin' && waiting.length) {
      var back = location.pathname + location.search;
      html.push('<p id="gm-drafts-signin" class="gm-error">' + esc(T.offline_signin) +
        ' <a class="gm-button" href="/login?next=' + encodeURIComponent(back) + '">' + esc(T.sign_in) + '</a></p>');
    }
    var others = waiting.filter(function (d) { return d.user !== user; });
    if (others.length) {
      html.push('<p>' + esc(fill(T.offline_other_user, {user: others[0].user, n: others.length})) + '</p>');
    }
    drafts.filter(function (d) { return d.refused; }).forEach(function (d) {
      html.push('<p class="gm-error gm-draft-refused">' + esc(T.offline_refused) + ': ' + esc(d.summary) +
        ' (' + esc(d.refused.message) + ') <button type="button" class="gm-link" data-discard="' + d.seq + '">' +
        esc(T.offline_discard) + '</button></p>');
    });
    if (state.sent.length) {
      html.push('<p id="gm-drafts-sent">' + esc(T.offline_sent) + ': ' + state.sent.map(function (s) {
        return link(s.draft, s.answer);
      }).join(T.list_separator) + '</p>');
    }
    box.innerHTML = html.join('');
    box.hidden = !html.length;
    box.setAttribute('data-waiting', String(waiting.length));
  }

  box.addEventListener('click', function (e) {
    var seq = e.target.getAttribute('data-discard');
    if (seq && window.confirm(T.offline_discard + '?')) { Q.remove(Number(seq)).then(show); }
  });

  async function send() {
    var out = await Q.sendAll();
    state.status = out.state;
    state.sent = state.sent.concat(out.sent);
    await show();
    return out;
  }

  function summary() {
    var parts = [];
    form.querySelectorAll('select').forEach(function (s) {
      if (s.selectedIndex >= 0 && s.value) { parts.push(s.options[s.selectedIndex].text.trim()); }
    });
    var text = form.querySelector('textarea[name=description], input[name=note]');
    if (text && text.value) { parts.push(text.value.slice(0, 40)); }
    return parts.join(' · ');
  }

  async function draftOf() {
    var fields = [];
    var files = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof Blob) {
        if (value.size) { files.push(value); }
      } else {
        fields.push([name, value]);
      }
    });
    // The photos' bytes, copied now: a File from the camera or the file picker is a
    // reference to a file on the phone that the page may read only while it is open
    // (Chromium keeps the reference in IndexedDB, and reading it after a reload fails).
    var photos = await Promise.all(files.map(async function (f) {
      return {name: f.name || 'photo.jpg', blob: new Blob([await f.arrayBuffer()], {type: f.type})};
    }));
    return {
      key: keyField.value, kind: kind, url: api, done: done, user: user, fields: fields,
      photos: photos, summary: summary(), created: new Date().toISOString(),
    };
  }

  async function askForSync() {
    // Background Sync, where the browser has it: the service worker sends the drafts when
    // the connection returns, even if this page is closed by then.
    if (!('serviceWorker' in navigator)) { return; }
    var reg = await navigator.serviceWorker.getRegistration();
    if (reg && reg.sync) { await reg.sync.register('gridmap-drafts').catch(function () {}); }
  }

  form.addEventListener('submit', async function (e) {
    e.preventDefault();
    button.disabled = true;
    try {
      var draft = await draftOf();
      try {
        await Q.add(draft);
      } catch (err) {
        // No IndexedDB here (a private window, a full disk): the form posts as it always
        // did, with its key, so that a second press makes no second record.
        form.submit();
        return;
      }
      var out = await send();
      var mine = out.sent.filter(function (s) { return s.draft.key === draft.key; })[0];
      if (mine) {  // sent: to the case, or the hazard page again, as the form did
        location.assign(fill(done, {id: mine.answer.id}));
        return;
      }
      var refused = out.refused.filter(function (d) { return d.key === draft.key; })[0];
      if (refused) {  // the officer is here to correct it: the form keeps its values
        await Q.remove(refused.seq);
        await show();
        box.hidden = false;
        box.insertAdjacentHTML('beforeend', '<p id="gm-drafts-error" class="gm-error">' + esc(T.offline_refused) + ': ' + esc(refused.refused.message) + '</p>');
        return;
      }
      // Kept on the phone: the form is free for the next one, with a key of its own.
      form.reset();
      keyField.value = Q.newKey();
      askForSync();
    } finally {
      button.disabled = false;
    }
  });

  keyField.value = Q.newKey();
  window.addEventListener('online', send);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener('message', function (e) {
      if (e.data && e.data.type === 'gridmap-drafts') {
        state.sent = state.sent.concat(e.data.sent || []);
        show();
      }
    });
    // Scope '/': the worker must control /cases/new and /hazards/<id> (its file is under
    // /static/, so the server allows the wider scope with Service-Worker-Allowed).
    navigator.serviceWorker.register(script.getAttribute('data-worker'), {scope: '/'}).catch(function () {});
  }
  send();
})();
