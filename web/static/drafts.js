// Reports and inspections kept on the phone until the server has them (issue 27 part 5).
//
// Every submission of the report form and of the inspection form becomes a draft in
// IndexedDB first (its fields, its photos as Blobs, the position the form carries, its
// idempotency key, who made it), and is then sent from there: at once when the network is
// up, else when it returns.  The page (offline.js) and the service worker (offline-sw.js,
// on Background Sync) both send through sendAll() here, one sender at a time (Web Locks),
// oldest draft first.  A draft is deleted only when the server has answered that it made
// the record; an answer lost on the way is harmless, since the server answers a key it
// has seen with the record the first request made (gridmap/services/idempotency.py).
//
// Plain IndexedDB rather than a wrapper library: four requests on one object store, and
// a file the service worker can importScripts as it is (no module loader, no vendoring).
(function (scope) {
  'use strict';
  var DB = 'gridmap-drafts';
  var STORE = 'drafts';

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, {keyPath: 'seq', autoIncrement: true});
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // One request in its own transaction: its result once the transaction has committed.
  async function request(mode, make) {
    var db = await open();
    try {
      return await new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var r = make(t.objectStore(STORE));
        t.oncomplete = function () { resolve(r.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    } finally {
      db.close();
    }
  }

  function all() { return request('readonly', function (s) { return s.getAll(); }); }
  function add(draft) { return request('readwrite', function (s) { return s.add(draft); }); }
  function put(draft) { return request('readwrite', function (s) { return s.put(draft); }); }
  function remove(seq) { return request('readwrite', function (s) { return s.delete(seq); }); }

  // A key of 122 random bits; crypto.randomUUID needs a secure context, which a page
  // served over plain HTTP on an intranet is not (getRandomValues works everywhere).
  function newKey() {
    if (scope.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }

  // Send one draft: 'sent' (with the server's answer), 'offline', 'signin' (the session
  // ended: kept until the officer signs in again), 'later' (the server could not take it
  // now) or 'refused' (the server will never take it as it is: kept, with the reason, for
  // the officer to see; never dropped unseen).
  async function post(draft) {
    var body = new FormData();
    draft.fields.forEach(function (f) { body.append(f[0], f[1]); });
    draft.photos.forEach(function (p) { body.append('photos', p.blob, p.name); });
    var r;
    try {
      r = await fetch(draft.url, {
        method: 'POST',
        body: body,
        credentials: 'same-origin',
        headers: {'Accept': 'application/json', 'Idempotency-Key': draft.key},
      });
    } catch (e) {
      return {state: 'offline'};
    }
    var answer = await r.json().catch(function () { return {}; });
    if (r.ok) { return {state: 'sent', answer: answer}; }
    if (r.status === 401) { return {state: 'signin'}; }
    if (r.status >= 500 || r.status === 429 || r.status === 408) { return {state: 'later'}; }
    return {state: 'refused', status: r.status, message: answer.message || String(r.status)};
  }

  // Send every draft of the signed-in user, oldest first, stopping at the first that
  // cannot go now (the ones after it must not overtake it).  Other users' drafts wait
  // for them.  Returns {state, sent: [{draft, answer}], refused: [draft]}.
  async function sendNow() {
    var out = {state: 'done', sent: [], refused: []};
    var drafts = (await all()).filter(function (d) { return !d.refused; });
    if (!drafts.length) { return out; }
    var me;
    try {
      me = await fetch('/api/me', {headers: {Accept: 'application/json'}, cache: 'no-store', credentials: 'same-origin'});
    } catch (e) {
      out.state = 'offline';
      return out;
    }
    if (me.status === 401) { out.state = 'signin'; return out; }
    if (!me.ok) { out.state = 'later'; return out; }
    var name = (await me.json()).name;
    for (var i = 0; i < drafts.length; i++) {
      var d = drafts[i];
      if (d.user !== name) { continue; }
      var done = await post(d);
      if (done.state === 'sent') {
        await remove(d.seq);
        out.sent.push({draft: d, answer: done.answer});
      } else if (done.state === 'refused') {
        d.refused = {status: done.status, message: done.message};
        await put(d);
        out.refused.push(d);
      } else {
        out.state = done.state;
        return out;
      }
    }
    return out;
  }

  function sendAll() {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request('gridmap-drafts', sendNow) : sendNow();
  }

  scope.GridmapDrafts = {all: all, add: add, remove: remove, newKey: newKey, sendAll: sendAll};
})(self);
