// The planner pages' one way to call the JSON API: a JSON (or multipart) body out, the
// JSON answer back; an error status rejects with the answer ({message, reasons, ...}).
(function () {
  'use strict';
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
