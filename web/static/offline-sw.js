// The service worker of the officer's phone (issue 27 part 5): it keeps the report form,
// the hazard pages the officer opened and the scripts they need, so that they open without
// a connection, and sends the drafts (drafts.js) on Background Sync.  Registered by
// offline.js, which only those two pages load (both for signed-in staff only), with scope
// '/' so that it sees their addresses; every other request passes it untouched.
'use strict';
importScripts('drafts.js');

var CACHE = 'gridmap-offline-1';
var PAGES = [/^\/cases\/new$/, /^\/hazards\/\d+$/];
var SCRIPTS = ['gridmap.css', 'here.js', 'cases.js', 'drafts.js', 'offline.js'];

function isPage(url) {
  return PAGES.some(function (p) { return p.test(url.pathname); });
}

self.addEventListener('install', function (event) {
  // The form's scripts now; the pages themselves as the officer opens them (a page is
  // the signed-in officer's: fetched with their session, never by the worker alone).
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SCRIPTS.map(function (name) { return new URL(name, self.location).pathname; }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('gridmap-offline-') === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(keepOpenPages).then(function () { return self.clients.claim(); }));
});

// The page that registered the worker loaded before it: keep that one too (the first
// visit of a hazard's page is then enough), before taking control of it.
async function keepOpenPages() {
  var open = await self.clients.matchAll({type: 'window', includeUncontrolled: true});
  await Promise.all(open.filter(function (c) { return isPage(new URL(c.url)); }).map(function (c) {
    return networkFirst(new Request(c.url, {credentials: 'same-origin'})).catch(function () {});
  }));
}

// The network first (a page online is always today's), the copy kept when there is none.
async function networkFirst(request, fallbackIgnoringQuery) {
  var cache = await caches.open(CACHE);
  try {
    var response = await fetch(request);
    // Only a page the server gave as asked: not the sign-in page it redirected to.
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (e) {
    // Vary is ignored: the kept copy was fetched with this officer's session, whatever
    // headers asked for it (a page the worker kept on activation asked with its own).
    var kept = await cache.match(request, {ignoreVary: true}) ||
      (fallbackIgnoringQuery && await cache.match(request, {ignoreSearch: true, ignoreVary: true}));
    if (kept) { return kept; }
    throw e;
  }
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === 'POST' && url.pathname === '/logout') {
    // Signing out leaves no staff page on the phone (the drafts stay: they are sent
    // when their maker signs in again).
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (request.method !== 'GET') { return; }
  if (request.mode === 'navigate' && isPage(url)) {
    // /cases/new?lon=..&lat=.. (from the map) opens the plain form when only it is kept.
    event.respondWith(networkFirst(request, url.pathname === '/cases/new'));
  } else if (url.pathname.indexOf('/static/') === 0 &&
             SCRIPTS.indexOf(url.pathname.slice('/static/'.length)) >= 0) {
    event.respondWith(networkFirst(request, true));
  }
});

async function sendDrafts() {
  var out = await self.GridmapDrafts.sendAll();
  var pages = await self.clients.matchAll({type: 'window'});
  pages.forEach(function (page) { page.postMessage({type: 'gridmap-drafts', sent: out.sent}); });
  if (out.state === 'offline' || out.state === 'later') {
    throw new Error('drafts wait: ' + out.state);  // Background Sync tries again later
  }
}

self.addEventListener('sync', function (event) {
  if (event.tag === 'gridmap-drafts') { event.waitUntil(sendDrafts()); }
});
