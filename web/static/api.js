// The planner pages' one way to call the JSON API: a JSON (or multipart) body out, the
// JSON answer back; an error status rejects with the answer ({message, reasons, ...}).
// And their one way to say what the rules, checks and runs say ({code, values}: the
// page's #gm-said table of texts in its language, filled as web/i18n.py's said() does).
(function () {
  'use strict';
  var zh = document.documentElement.lang.indexOf('zh') === 0;
  var texts = null;

  function table() {
    if (texts === null) {
      var el = document.getElementById('gm-said');
      texts = el ? JSON.parse(el.textContent) : {};
    }
    return texts;
  }

  function value(v) {
    if (Array.isArray(v)) {
      var nested = v.some(function (x) { return x && typeof x === 'object'; });
      return v.map(value).join(nested ? (zh ? '；' : '; ') : (zh ? '、' : ', '));
    }
    if (v && typeof v === 'object' && v.code) { return say(v, ''); }
    return String(v);
  }

  // What ``said`` says in the page's language; ``fallback`` (the English) when the page
  // has no text for its code.
  function say(said, fallback) {
    var text = said && table()[said.code];
    if (!text) { return fallback === undefined ? '' : fallback; }
    var values = said.values || {};
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? value(values[k]) : m; });
  }
  window.gridmapSay = say;

  window.gridmapApi = function (method, url, body) {
    var init = {method: method, headers: {Accept: 'application/json'}};
    if (body instanceof FormData) { init.body = body; } else if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw j; }
        return j;
      });
    });
  };
}());
