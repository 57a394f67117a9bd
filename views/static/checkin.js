// The check-in page's camera (sessions/checkin.html): reads badges' QR
// codes and sends each to the server, which marks the person present or
// says why not (app/pages_checkin.go). Without this script, or without a
// camera, the typed code's form does the same.
//
// Decoding: the browser's BarcodeDetector where it reads QR codes (Android,
// ChromeOS, macOS), else jsQR (vendor/jsqr, Apache-2.0), loaded only then.
//
// Sending goes through one function, window.takaffoulCheckin.send(url,
// code): it answers a promise of {ok, status, body}. The offline queue may
// put its own in its place (the page then says what the queue answers).
(function () {
  'use strict';
  var root = document.querySelector('[data-scanner]');
  var form = document.querySelector('[data-checkin-form]');
  if (!root || !form) return;
  var result = document.querySelector('[data-checkin-result]');
  var count = document.querySelector('[data-checkin-present]');
  var present = count && (count.querySelector('bdi') || count); // the isolate keeps "n / m" left to right
  var video = root.querySelector('[data-scan-video]');
  var startButton = root.querySelector('[data-scan-start]');
  var stopButton = root.querySelector('[data-scan-stop]');
  var status = root.querySelector('[data-scan-status]');
  var log = root.querySelector('[data-scan-log]');
  var logTitle = root.querySelector('[data-scan-log-title]');
  var csrf = form.querySelector('input[name=_csrf]').value;

  // A badge held in front of the camera is read many times a second: it is
  // sent once, and again only after it has been out of sight this long.
  var OUT_OF_SIGHT_MS = 1500;
  var SCAN_EVERY_MS = 150;

  var api = window.takaffoulCheckin = window.takaffoulCheckin || {};
  api.send = api.send || function (url, code) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf },
      body: 'code=' + encodeURIComponent(code)
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    });
  };

  var stream = null, timer = null, busy = false, lastCode = '', lastSeen = 0, decode = null;

  function say(message, outcome) {
    result.textContent = message;
    result.className = 'checkin-result checkin-' + outcome;
    var item = document.createElement('li');
    item.className = 'checkin-' + outcome;
    item.textContent = message;
    log.insertBefore(item, log.firstChild);
    while (log.children.length > 8) log.removeChild(log.lastChild);
    logTitle.hidden = false;
  }

  // countPresent adds one to "present: n / m" after a new check-in.
  function countPresent() {
    if (!present) return;
    var m = /^(\d+)(\s*\/\s*\d+)$/.exec(present.textContent.trim());
    if (m) present.textContent = (Number(m[1]) + 1) + m[2];
  }

  function send(code) {
    busy = true;
    return api.send(form.action, code).then(function (answer) {
      var body = answer.body || {};
      if (answer.ok) {
        say(body.message, body.outcome);
        if (body.outcome === 'checked_in') countPresent();
      } else {
        say(body.error || root.dataset.msgNetwork, 'refused');
      }
    }, function () {
      say(root.dataset.msgNetwork, 'refused');
    }).then(function () { busy = false; });
  }

  function seen(code) {
    var now = Date.now();
    var again = code === lastCode && now - lastSeen < OUT_OF_SIGHT_MS;
    lastCode = code;
    lastSeen = now;
    if (!again && !busy) send(code);
  }

  // decoder answers a function that reads the video's current frame: a
  // promise of the QR code's text, or '' when it sees none.
  function decoder() {
    if ('BarcodeDetector' in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf('qr_code') < 0) return jsQRDecoder();
        var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        root.dataset.decoder = 'barcode-detector';
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ''; });
        };
      });
    }
    return jsQRDecoder();
  }

  function jsQRDecoder() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) return resolve();
      var script = document.createElement('script');
      script.src = root.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    }).then(function () {
      root.dataset.decoder = 'jsqr';
      var canvas = document.createElement('canvas');
      var context = canvas.getContext('2d', { willReadFrequently: true });
      return function () {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) return Promise.resolve('');
        var scale = Math.min(1, 640 / Math.max(w, h)); // a phone's 1080p frame, read at 640
        canvas.width = Math.round(w * scale);
        canvas.height = Math.round(h * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
        return Promise.resolve(found ? found.data : '');
      };
    });
  }

  function tick() {
    if (!stream) return;
    var read = video.readyState >= 2 ? decode() : Promise.resolve('');
    read.then(function (code) { if (code) seen(code); }, function () {}).then(function () {
      if (stream) timer = setTimeout(tick, SCAN_EVERY_MS);
    });
  }

  function start() {
    status.textContent = root.dataset.msgScanning;
    Promise.all([
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }),
      decode ? Promise.resolve(decode) : decoder()
    ]).then(function (got) {
      stream = got[0];
      decode = got[1];
      video.srcObject = stream;
      video.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      return video.play();
    }).then(tick, function (err) {
      stop();
      status.textContent = err && err.name === 'NotAllowedError' || err && err.name === 'NotFoundError'
        ? root.dataset.msgDenied : root.dataset.msgUnsupported;
    });
  }

  function stop() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
    status.textContent = '';
    lastCode = '';
  }

  // The typed code goes the same way, without leaving the page (the
  // camera keeps running).
  form.addEventListener('submit', function (event) {
    var input = form.querySelector('input[name=code]');
    event.preventDefault();
    if (!input.value.trim() || busy) return;
    send(input.value.trim()).then(function () { input.value = ''; input.focus(); });
  });

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return; // the typed code only
  root.hidden = false;
  startButton.addEventListener('click', start);
  stopButton.addEventListener('click', stop);
  window.addEventListener('pagehide', stop);
})();
