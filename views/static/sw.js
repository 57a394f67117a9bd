// The trainer's app's service worker (docs/OFFLINE.md). It keeps the
// assets (versioned: a new release replaces them) and the app's shell page
// (not versioned: it survives a new service worker), and serves the shell
// for the trainer's home, attendance sheets, check-in and scores pages when the
// network is off.
// The data — sessions, rosters, marks, the queue of changes — is in
// IndexedDB (offline.js), never only in a cache.
"use strict";
var VERSION = "2026-12-04.1";
var ASSETS = "takaffoul-assets-" + VERSION;
var PAGES = "takaffoul-pages";
var PRECACHE = ["/static/app.css", "/static/offline.js", "/static/favicon.svg", "/static/icons.svg", "/static/manifest.webmanifest",
  "/static/checkin.js", "/static/checkin.css", "/static/nav.js",
  // The QR decoder for browsers without BarcodeDetector (130 KB, about 40 KB compressed): kept at
  // install, so that check-in works in a room with no network even when the trainer never opened
  // a check-in page online (offline.js also fetches it from a check-in page, for older installs).
  "/static/vendor/jsqr/jsQR.min.js"];

self.addEventListener("install", function (event) {
  // The shell is fetched as the signed-in trainer; signed out (a redirect to
  // the login page), the one kept before stays.
  var shell = caches.open(PAGES).then(function (cache) {
    return fetch("/offline", {credentials: "include"}).then(function (resp) {
      if (resp.ok && !resp.redirected) return cache.put("/offline", resp);
    });
  }).catch(function () {});
  event.waitUntil(Promise.all([caches.open(ASSETS).then(function (cache) { return cache.addAll(PRECACHE); }), shell])
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("takaffoul-assets-") === 0 && n !== ASSETS; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// Pages the shell stands in for when the network is off: the home, the
// attendance sheets, the check-in pages (offline.js draws the scanner) and
// the scores pages of a course (the list and a person's form).
function offlinePage(path) {
  return path === "/" || path === "/offline" || /^\/sessions\/\d+\/(attendance|checkin)$/.test(path) ||
    /^\/courses\/\d+\/scores(\/\d+)?$/.test(path);
}

// withCamera is the shell standing in for a check-in page: with that page's
// Permissions-Policy (app/pages_checkin.go, checkinPolicy), which lets its
// own script open the camera; the shell itself keeps camera=().
function withCamera(resp) {
  var headers = new Headers(resp.headers);
  headers.set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()");
  return resp.blob().then(function (body) { return new Response(body, {status: resp.status, statusText: resp.statusText, headers: headers}); });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (resp) {
        if (resp.ok) { var copy = resp.clone(); caches.open(ASSETS).then(function (c) { c.put(req, copy); }); }
        return resp;
      });
    }));
    return;
  }
  if (url.pathname === "/offline") { // the shell: fresh when online, kept for when not
    event.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) { var copy = resp.clone(); caches.open(PAGES).then(function (c) { c.put("/offline", copy); }); }
      return resp;
    }).catch(function () { return caches.match("/offline", {cacheName: PAGES}).then(function (hit) { return hit || Response.error(); }); }));
    return;
  }
  if (req.mode === "navigate" && offlinePage(url.pathname)) {
    event.respondWith(fetch(req).catch(function () {
      return caches.match("/offline", {cacheName: PAGES}).then(function (hit) {
        if (!hit) return Response.error();
        return /\/checkin$/.test(url.pathname) ? withCamera(hit) : hit;
      });
    }));
  }
});
