// The trainer's app offline (docs/OFFLINE.md). On a trainer's pages: keeps
// their sessions of the coming days in IndexedDB (rosters, marks), queues
// the marks and walk-ins made without network, sends the queue when the
// network returns (each change once: the server keeps its id), and says
// on the page how many changes wait and when the server was last reached.
// With the network off, the service worker (sw.js) shows the app's shell
// (/offline) for the home and the sheets; this script draws them from
// IndexedDB. Without JavaScript none of this runs and every page works
// online as before.
(function () {
  "use strict";
  var textEl = document.getElementById("offline-text");
  if (!textEl || !window.indexedDB) return;
  var T = JSON.parse(textEl.textContent);
  var lang = T.lang || "ar";
  var userId = Number(document.body.getAttribute("data-offline-user"));
  var shell = document.querySelector("[data-offline-app]");
  var STATUSES = ["present", "late", "excused", "absent"];

  // ---- texts
  function t(key, at) { return (T[key] || key).replace("{at}", at || ""); }
  function n(key, count) {
    var forms = T[key] || {};
    var form = forms[new Intl.PluralRules(lang).select(count)] || forms.other || key;
    return form.replace("{n}", String(count));
  }
  var whenFormat = new Intl.DateTimeFormat(lang === "ar" ? "ar-MA" : lang,
    {timeZone: "Africa/Casablanca", dateStyle: "medium", timeStyle: "short"});
  var dayFormat = new Intl.DateTimeFormat("en-CA", {timeZone: "Africa/Casablanca"}); // YYYY-MM-DD
  function when(iso) { return whenFormat.format(new Date(iso)); }

  // ---- IndexedDB: meta (user, last contact, counters), sessions (the server's copy), queue (changes not yet sent)
  var dbPromise;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var r = indexedDB.open("takaffoul-offline", 1);
        r.onupgradeneeded = function () {
          var d = r.result;
          d.createObjectStore("meta");
          d.createObjectStore("sessions", {keyPath: "id"});
          d.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
        };
        r.onsuccess = function () { resolve(r.result); };
        r.onerror = function () { reject(r.error); };
      });
    }
    return dbPromise;
  }
  function ask(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  async function all(store) { return ask((await db()).transaction(store).objectStore(store).getAll()); }
  async function meta(key) { return ask((await db()).transaction("meta").objectStore("meta").get(key)); }
  // write runs fn(stores) in one transaction and waits for it to commit.
  async function write(names, fn) {
    var tx = (await db()).transaction(names, "readwrite");
    var stores = {};
    names.forEach(function (name) { stores[name] = tx.objectStore(name); });
    fn(stores);
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ---- the queue
  // A person of a roster is "t:<trainee id>", or "w:<change id>" for a walk-in enrolled on this device.
  async function mine() {
    return (await all("queue")).filter(function (i) { return i.userId === userId; });
  }
  function refOf(item) { return item.body.trainee_id ? "t:" + item.body.trainee_id : "w:" + item.body.walkin; }

  // enqueueMarks adds one change per mark ({sessionId, ref, status, fillOnly, source}). Its base is the
  // mark this device's copy shows; a mark changed twice before being sent keeps the first base (the
  // earlier change, never sent, is dropped; one sent without an answer is named as "after").
  async function enqueueMarks(marks) {
    var queue = await mine();
    var sessions = {};
    (await all("sessions")).forEach(function (s) { sessions[s.id] = s; });
    var walkins = (await meta("walkins")) || {};
    await write(["queue"], function (st) {
      marks.forEach(function (m) {
        var body = {id: uuid(), kind: "mark", made_at: new Date().toISOString(), session_id: m.sessionId,
          status: m.status, base: null, source: m.source || "sheet"};
        if (m.fillOnly) body.fill_only = true;
        var walkin = m.ref.indexOf("w:") === 0 ? m.ref.slice(2) : null;
        if (walkin && walkins[walkin]) { m.ref = "t:" + walkins[walkin]; walkin = null; }
        if (walkin) body.walkin = walkin; else body.trainee_id = Number(m.ref.slice(2));
        var earlier = queue.filter(function (i) {
          return i.kind === "mark" && i.state === "pending" && i.body.session_id === m.sessionId && refOf(i) === m.ref;
        }).pop();
        if (earlier) {
          body.base = earlier.body.base;
          if (earlier.attempted) body.after = earlier.body.id;
          else { if (earlier.body.after) body.after = earlier.body.after; st.queue.delete(earlier.seq); }
        } else if (!walkin) {
          var s = sessions[m.sessionId];
          var p = s && s.roster.filter(function (r) { return r.trainee_id === body.trainee_id; })[0];
          if (p && p.status) body.base = {status: p.status, marked_at: p.marked_at};
        }
        st.queue.add({kind: "mark", state: "pending", userId: userId, body: body});
      });
    });
    refresh();
  }

  // enqueueWalkIn adds a walk-in: the person as the online form takes them, shown on this device's
  // rosters of the course as provisional until the server has them.
  async function enqueueWalkIn(courseId, person) {
    var id = uuid();
    var minor = person.category === "child_parliamentarian";
    await write(["queue"], function (st) {
      st.queue.add({kind: "walkin", state: "pending", userId: userId,
        shown: {full_name_ar: person.full_name_ar || null, full_name_latin: person.full_name_latin || null, minor: minor,
          birth_year: minor ? person.birth_year : undefined},
        body: {id: id, kind: "walkin", made_at: new Date().toISOString(), course_id: courseId, person: person}});
    });
    return id;
  }

  // enqueueScores adds a person's scores entered on this device: all five values, as the online form
  // sends them. Its base is what this device's copy shows; entered again before being sent, the first
  // base is kept (the earlier change, never sent, is dropped; one sent without an answer is named as
  // "after"). Saved over a conflict shown here, its base is the server's values shown beside it.
  async function enqueueScores(courseId, traineeId, scores) {
    var queue = await mine();
    var p = await copyScores(courseId, traineeId);
    var body = {id: uuid(), kind: "scores", made_at: new Date().toISOString(), course_id: courseId, trainee_id: traineeId,
      scores: scores, base: p ? p.scores : null};
    await write(["queue"], function (st) {
      queue.filter(function (i) { return i.kind === "scores" && i.body.course_id === courseId && i.body.trainee_id === traineeId; })
        .forEach(function (earlier) {
          if (earlier.state === "conflict") body.base = earlier.server;
          else if (earlier.state === "pending") {
            body.base = earlier.body.base;
            if (earlier.attempted) { body.after = earlier.body.id; return; }
            if (earlier.body.after) body.after = earlier.body.after;
          }
          st.queue.delete(earlier.seq); // superseded by what was entered now
        });
      st.queue.add({kind: "scores", state: "pending", userId: userId, body: body});
    });
    refresh();
  }
  // copyScores is a person of a course as this device's copy has them (the last pack), or undefined.
  async function copyScores(courseId, traineeId) {
    var course = ((await meta("courses")) || []).filter(function (c) { return c.id === courseId; })[0];
    return course && course.people.filter(function (x) { return x.trainee_id === traineeId; })[0];
  }

  // ---- the server
  var state = {online: navigator.onLine, syncing: false, signIn: false};
  async function fetchPack() {
    var resp = await fetch("/api/v1/offline/pack", {credentials: "same-origin", headers: {Accept: "application/json"}, cache: "no-store"});
    if (resp.status === 401 || resp.redirected) { state.signIn = true; throw new Error("signed out"); }
    if (!resp.ok) throw new Error("pack " + resp.status);
    state.signIn = false;
    return resp.json();
  }
  async function keepPack(pack) {
    await write(["sessions", "meta"], function (st) {
      st.sessions.clear(); // only what the trainer's sessions need, as the server has it now
      pack.sessions.forEach(function (s) { st.sessions.put(s); });
      st.meta.put(pack.user.id, "user");
      st.meta.put(new Date().toISOString(), "lastContact");
      st.meta.put(pack.today, "today");
      st.meta.put({institutions: pack.institutions, associations: pack.associations}, "organisations");
      st.meta.put(pack.checkin || {key: "", codes: []}, "checkin"); // the codes' keyed hashes, never a code
      st.meta.put(pack.courses || [], "courses"); // the scores page: its courses' people and their scores
    });
  }

  // sync sends this account's queue (refused changes too when asked), then keeps a fresh pack.
  async function sync(withRefused) {
    if (state.syncing) return;
    state.syncing = true;
    render();
    try {
      var pack = await fetchPack();
      if (pack.user.id !== userId) return;
      var items = (await mine()).filter(function (i) { return i.state === "pending" || (withRefused && i.state === "refused"); });
      if (items.length) {
        await write(["queue"], function (st) { items.forEach(function (i) { i.attempted = true; st.queue.put(i); }); });
        var resp = await fetch("/api/v1/offline/sync", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": pack.csrf},
          body: JSON.stringify({changes: items.map(function (i) { return i.body; })})});
        if (resp.status === 401) { state.signIn = true; return; }
        if (!resp.ok) throw new Error("sync " + resp.status);
        await settle(items, (await resp.json()).results);
        pack = await fetchPack();
      }
      await keepPack(pack);
    } catch (e) {
      // no network, or the server is away: everything stays on this device for the next try
    } finally {
      state.syncing = false;
      refresh();
    }
  }

  // settle records what became of each change sent: done ones leave the queue, refused ones stay.
  async function settle(items, results) {
    var byId = {};
    items.forEach(function (i) { byId[i.body.id] = i; });
    var walkins = (await meta("walkins")) || {};
    var conflicts = (await meta("conflicts")) || 0;
    await write(["queue", "meta"], function (st) {
      results.forEach(function (r) {
        var item = byId[r.id];
        if (!item) return;
        if (r.outcome === "refused") {
          item.state = "refused";
          item.error = [r.error].concat(Object.values(r.fields || {})).join(" ");
          st.queue.put(item);
          return;
        }
        if (r.outcome === "conflict" && item.kind === "scores") { // shown to the trainer, who chooses (drawScoreForm)
          item.state = "conflict";
          item.server = r.scores || {pre_score: null, post_score: null, satisfaction: [null, null, null]};
          item.fields = r.conflict_fields || [];
          st.queue.put(item);
          return;
        }
        if (r.outcome === "conflict") conflicts++;
        if (item.kind === "walkin" && r.trainee_id) walkins[item.body.id] = r.trainee_id;
        st.queue.delete(item.seq);
      });
      st.meta.put(walkins, "walkins");
      st.meta.put(conflicts, "conflicts");
    });
  }

  // ---- what the page shows
  // The box says what waits on this device. When all is well (online,
  // nothing waiting, refused or in conflict) it is one short line, so that
  // on a phone the sheet starts on the first screen (issue 16, point 3);
  // what the device keeps, and that signing out erases it, is said on the
  // home page. Whatever needs the trainer gets a line of its own.
  var statusBox;
  async function render() {
    if (!statusBox) {
      statusBox = document.createElement("div");
      statusBox.className = "offline-status card";
      statusBox.setAttribute("role", "status");
      statusBox.setAttribute("aria-live", "polite");
      var main = document.getElementById("main");
      main.insertBefore(statusBox, main.firstChild);
    }
    var queue = await all("queue");
    var own = queue.filter(function (i) { return i.userId === userId; });
    var pending = own.filter(function (i) { return i.state === "pending"; });
    var refused = own.filter(function (i) { return i.state === "refused"; });
    var scoreConflicts = own.filter(function (i) { return i.state === "conflict"; }).length;
    var contact = await meta("lastContact");
    var conflicts = (await meta("conflicts")) || 0;
    var quiet = state.online && !pending.length && !refused.length && !conflicts && !scoreConflicts &&
      !state.signIn && queue.length === own.length;
    statusBox.textContent = "";
    statusBox.classList.toggle("quiet", quiet);
    var head = line("data-line", "");
    part(head, "data-net", state.online ? t("offline.online_now") : t("offline.offline_now"));
    part(head, "data-pending", pending.length ? n("offline.pending", pending.length) : t("offline.nothing_pending"))
      .setAttribute("data-count", String(pending.length));
    part(head, "data-contact", contact ? t("offline.last_contact", when(contact)) : t("offline.never_contact"));
    if (conflicts) line("data-conflicts", n("offline.conflict_count", conflicts));
    if (scoreConflicts) line("data-scores-conflicts", n("offline.scores_conflict_count", scoreConflicts)).setAttribute("data-count", String(scoreConflicts));
    if (state.signIn) line("data-sign-in", t("offline.sign_in_again"));
    if (queue.length > own.length) line("data-other-account", t("offline.other_account"));
    if (refused.length) {
      line("data-refused", n("offline.refused_count", refused.length)).setAttribute("data-count", String(refused.length));
      var ul = document.createElement("ul");
      refused.forEach(function (i) {
        var li = document.createElement("li");
        li.textContent = describe(i) + " — " + i.error;
        ul.appendChild(li);
      });
      statusBox.appendChild(ul);
    }
    if (pending.length || refused.length) {
      var send = document.createElement("button");
      send.type = "button";
      send.textContent = state.syncing ? t("offline.sending") : t("offline.send_now");
      send.disabled = state.syncing;
      send.setAttribute("data-send", "");
      send.addEventListener("click", function () { sync(true); });
      statusBox.appendChild(send);
    }
    if (!shell && location.pathname === "/") {
      line("data-kept", t("offline.kept_for")).className = "muted small";
      line("data-logout-note", t("offline.logout_clears")).className = "muted small phone-only";
    }
  }
  // part adds a sentence to a line, in a span of its own.
  function part(p, attr, text) {
    var span = document.createElement("span");
    span.setAttribute(attr, "");
    span.textContent = text;
    if (p.childNodes.length) p.appendChild(document.createTextNode(" "));
    p.appendChild(span);
    return span;
  }
  function line(attr, text) {
    var p = document.createElement("p");
    p.setAttribute(attr, "");
    p.textContent = text;
    statusBox.appendChild(p);
    return p;
  }
  function describe(item) {
    if (item.kind === "walkin") return t("offline.walkin_add") + ": " + personName(item.shown);
    if (item.kind === "scores") return t("outcomes.title") + " · #" + item.body.trainee_id;
    return t("attendance." + item.body.status) + " · " + (item.body.trainee_id ? "#" + item.body.trainee_id : t("offline.walkin_provisional"));
  }
  function personName(p) {
    return [p.full_name_ar, p.full_name_latin].filter(Boolean).join(" — ") + (p.minor && p.birth_year ? " (" + p.birth_year + ")" : "");
  }

  async function refresh() {
    await render();
    if (shell) await drawShell();
  }

  // ---- the shell: the home's sessions and the sheets, from IndexedDB
  // drawShell draws into a new element and shows it only if no later draw began meanwhile (the
  // queue and the sync both ask for one; their awaits interleave).
  var draws = 0;
  async function drawShell() {
    var mine = ++draws;
    var target = shell.querySelector("[data-offline-view]");
    var view = document.createElement("div");
    var stored = await meta("user");
    var sessions = stored === userId ? await all("sessions") : [];
    var m = location.pathname.match(/^\/sessions\/(\d+)\/(attendance|checkin)$/);
    var s = m && sessions.filter(function (x) { return x.id === Number(m[1]); })[0];
    if (s && m[2] === "checkin") { await drawCheckin(target, s); return; }
    var sc = location.pathname.match(/^\/courses\/(\d+)\/scores(?:\/(\d+))?$/);
    var courses = stored === userId ? (await meta("courses")) || [] : [];
    if (sc) {
      if (!(await drawScores(view, target, courses, Number(sc[1]), sc[2] ? Number(sc[2]) : 0))) return;
    } else if (s) await drawSheet(view, s);
    else { drawSessions(view, sessions); drawScoreCourses(view, courses); }
    if (mine !== draws) return;
    var opened = target.querySelector("details.walkin[open]");
    if (opened) { var again = view.querySelector("details.walkin"); if (again) again.open = true; }
    target.replaceChildren(view);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function title(s) { return lang === "ar" ? s.title_ar : s.title_fr; }

  function drawSessions(view, sessions) {
    view.appendChild(el("h2", {}, t("offline.sessions")));
    if (!sessions.length) { view.appendChild(el("p", {"class": "muted"}, t("offline.no_sessions"))); return; }
    var ul = el("ul", {"class": "agenda"});
    sessions.sort(function (a, b) { return a.starts_at < b.starts_at ? -1 : 1; }).forEach(function (s) {
      var li = el("li", {"class": "card session"});
      li.appendChild(el("p", {"class": "when"}, when(s.starts_at) + (s.place ? " · " + s.place : "")));
      li.appendChild(el("h3", {}, title(s)));
      li.appendChild(el("a", {"class": "button primary", href: "/sessions/" + s.id + "/attendance"}, t("offline.open_sheet")));
      ul.appendChild(li);
    });
    view.appendChild(ul);
  }

  // roster is the session's people as this device knows them: the server's copy, the walk-ins
  // enrolled here, each with the mark the queue gives them (else the copy's).
  async function roster(s) {
    var own = await mine();
    var walkins = (await meta("walkins")) || {};
    var people = s.roster.map(function (p) {
      return {ref: "t:" + p.trainee_id, name: personName(p), status: p.status, markedBy: p.marked_by, markedAt: p.marked_at};
    });
    own.forEach(function (i) {
      if (i.kind === "walkin" && i.body.course_id === s.course_id && !walkins[i.body.id]) {
        people.push({ref: "w:" + i.body.id, name: personName(i.shown), provisional: true, refused: i.state === "refused"});
      }
    });
    own.forEach(function (i) {
      if (i.kind !== "mark" || i.body.session_id !== s.id) return;
      var ref = refOf(i);
      if (ref.indexOf("w:") === 0 && walkins[ref.slice(2)]) ref = "t:" + walkins[ref.slice(2)];
      people.forEach(function (p) {
        if (p.ref === ref && !(i.body.fill_only && p.status && !p.local)) {
          p.status = i.body.status; p.local = true; p.refused = i.state === "refused"; p.markedAt = i.body.made_at;
        }
      });
    });
    return people;
  }

  async function drawSheet(view, s) {
    view.appendChild(el("p", {}, "")).appendChild(el("a", {href: "/"}, t("offline.back_home")));
    view.appendChild(el("h2", {}, title(s)));
    view.appendChild(el("p", {"class": "lead"}, when(s.starts_at) + (s.place ? " · " + s.place : "")));
    var open = !s.cancelled && !s.course_closed && dayFormat.format(new Date(s.starts_at)) <= dayFormat.format(new Date());
    if (s.cancelled) view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.cancelled")));
    else if (!open) view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.not_yet")));
    var people = await roster(s);
    var form = el("form", {"class": "sheet", "data-offline-sheet": String(s.id)});
    var all = el("button", {type: "button", "data-all-present": ""}, t("offline.mark_all_present"));
    form.appendChild(el("p")).appendChild(all);
    if (open) view.appendChild(el("p")).appendChild(el("a", {href: "/sessions/" + s.id + "/checkin"}, t("checkin.link")));
    var ol = el("ol", {"class": "marks"});
    if (!people.length) ol.appendChild(el("li", {"class": "muted"}, T["courses.nobody"]));
    people.forEach(function (p) {
      var li = el("li", {"data-person": p.ref});
      var fs = el("fieldset");
      var legend = el("legend", {}, p.name);
      if (p.provisional) legend.appendChild(el("span", {"class": "muted small"}, " · " + t("offline.walkin_provisional")));
      fs.appendChild(legend);
      var choices = el("div", {"class": "choices"});
      STATUSES.forEach(function (st) {
        var label = el("label", {"class": "mark mark-" + st});
        var input = el("input", {type: "radio", name: "status_" + p.ref, value: st});
        if (p.status === st) input.checked = true;
        if (!open) input.disabled = true;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + t("attendance." + st)));
        choices.appendChild(label);
      });
      fs.appendChild(choices);
      var note = !p.status ? t("attendance.unmarked") : p.refused ? t("offline.refused") : p.local ? t("offline.saved_here") : "";
      if (note) fs.appendChild(el("p", {"class": "muted small", "data-note": ""}, note));
      li.appendChild(fs);
      ol.appendChild(li);
    });
    form.appendChild(ol);
    var save = el("button", {type: "submit", "class": "primary"}, t("offline.save"));
    form.appendChild(el("p", {"class": "sticky-save"})).appendChild(save);
    all.disabled = save.disabled = !open;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var marks = [];
      people.forEach(function (p) {
        var checked = form.querySelector('input[name="status_' + p.ref + '"]:checked');
        if (checked && checked.value !== p.status) marks.push({sessionId: s.id, ref: p.ref, status: checked.value});
      });
      if (marks.length) enqueueMarks(marks).then(function () { sync(false); });
    });
    all.addEventListener("click", function () {
      var marks = people.filter(function (p) { return !p.status; }).map(function (p) {
        return {sessionId: s.id, ref: p.ref, status: "present", fillOnly: true, source: "all_present"};
      });
      if (marks.length) enqueueMarks(marks).then(function () { sync(false); });
    });
    view.appendChild(form);
    if (open) view.appendChild(await walkInForm(s));
  }

  // walkInForm is the online enrolment form's new person, kept on this device until sent. The
  // server checks it with the online rules (minors' included) when it arrives; a refusal is shown here.
  async function walkInForm(s) {
    var orgs = (await meta("organisations")) || {institutions: [], associations: []};
    var box = el("details", {"class": "walkin"});
    box.appendChild(el("summary", {}, t("offline.walkin_add")));
    var f = el("form", {"data-walkin": ""});
    function field(name, type, forCats) {
      var wrap = el("p", forCats ? {"data-for": forCats} : {});
      var label = el("label", {"for": "w-" + name}, t("field." + name));
      var input = el("input", {id: "w-" + name, name: name, type: type});
      wrap.appendChild(label); wrap.appendChild(el("br")); wrap.appendChild(input);
      f.appendChild(wrap);
      return input;
    }
    function radios(name, values, prefix) {
      var fs = el("fieldset");
      fs.appendChild(el("legend", {}, t("field." + name)));
      values.forEach(function (v) {
        var label = el("label");
        var input = el("input", {type: "radio", name: name, value: v});
        label.appendChild(input); label.appendChild(document.createTextNode(" " + t(prefix + v) + " "));
        fs.appendChild(label);
      });
      f.appendChild(fs);
    }
    radios("category", ["institutional_actor", "associative_actor", "child_parliamentarian"], "category.");
    field("full_name_ar", "text");
    field("full_name_latin", "text");
    radios("sex", ["female", "male"], "sex.");
    field("birth_year", "number");
    var orgWrap = el("p", {"data-for": "institutional_actor associative_actor"});
    orgWrap.appendChild(el("label", {"for": "w-organisation_id"}, t("field.organisation_id")));
    var select = el("select", {id: "w-organisation_id", name: "organisation_id"});
    select.appendChild(el("option", {value: ""}, "—"));
    [["institutional_actor", orgs.institutions], ["associative_actor", orgs.associations]].forEach(function (g) {
      var group = el("optgroup", {label: t("category." + g[0]), "data-for": g[0]});
      g[1].forEach(function (o) { group.appendChild(el("option", {value: String(o.id)}, o.name)); });
      select.appendChild(group);
    });
    orgWrap.appendChild(el("br")); orgWrap.appendChild(select);
    f.appendChild(orgWrap);
    field("new_organisation_name", "text", "institutional_actor associative_actor");
    field("phone", "tel", "institutional_actor associative_actor");
    field("email", "email", "institutional_actor associative_actor");
    field("national_id", "text", "institutional_actor associative_actor");
    var consentWrap = el("p", {"data-for": "child_parliamentarian"});
    var consentLabel = el("label");
    consentLabel.appendChild(el("input", {type: "checkbox", name: "guardian_consent", id: "w-guardian_consent"}));
    consentLabel.appendChild(document.createTextNode(" " + t("field.guardian_consent")));
    consentWrap.appendChild(consentLabel);
    f.appendChild(consentWrap);
    f.appendChild(el("p")).appendChild(el("button", {type: "submit", "class": "primary"}, t("offline.walkin_add")));
    function follow() { // as enrol.js: only the fields of the category chosen
      var c = f.querySelector("input[name=category]:checked");
      f.querySelectorAll("[data-for]").forEach(function (x) {
        var show = !c || x.getAttribute("data-for").split(" ").indexOf(c.value) >= 0;
        x.hidden = !show;
        x.querySelectorAll("input, select").forEach(function (i) { i.disabled = !show; });
      });
    }
    f.addEventListener("change", follow);
    f.addEventListener("submit", async function (e) {
      e.preventDefault();
      var v = function (name) { var i = f.elements[name]; return i && !i.disabled && i.value.trim() ? i.value.trim() : null; };
      var category = f.querySelector("input[name=category]:checked");
      var sex = f.querySelector("input[name=sex]:checked");
      if (!category || !sex || (!v("full_name_ar") && !v("full_name_latin"))) return;
      var person = {category: category.value, sex: sex.value, full_name_ar: v("full_name_ar"), full_name_latin: v("full_name_latin"),
        birth_year: v("birth_year") ? Number(v("birth_year")) : null, organisation_id: v("organisation_id") ? Number(v("organisation_id")) : null,
        new_organisation_name: v("new_organisation_name"), phone: v("phone"), email: v("email"), national_id: v("national_id"),
        guardian_consent: !f.elements.guardian_consent.disabled && f.elements.guardian_consent.checked};
      await enqueueWalkIn(s.course_id, person);
      f.reset();
      sync(false);
      refresh();
    });
    box.appendChild(f);
    follow();
    return box;
  }

  // ---- the scores page offline (views/pages/courses/scores.html and score.html, drawn from this
  // device's copy): the course's people, each person's form; an entry is queued like a mark.
  var SCORE_FIELDS = ["pre_score", "post_score", "satisfaction_1", "satisfaction_2", "satisfaction_3"];
  function scoreValues(sc) {
    sc = sc || {};
    var sat = sc.satisfaction || [];
    return [sc.pre_score, sc.post_score, sat[0], sat[1], sat[2]].map(function (v) { return v === undefined ? null : v; });
  }
  function scoresOf(values) {
    return {pre_score: values[0], post_score: values[1], satisfaction: [values[2], values[3], values[4]]};
  }

  function drawScoreCourses(view, courses) {
    if (!courses.length) return;
    view.appendChild(el("h2", {}, t("outcomes.title")));
    var ul = el("ul", {"class": "agenda"});
    courses.forEach(function (c) {
      var li = el("li", {"class": "card"});
      li.appendChild(el("h3", {}, title(c)));
      li.appendChild(el("a", {"class": "button", href: "/courses/" + c.id + "/scores"}, t("outcomes.link")));
      ul.appendChild(li);
    });
    view.appendChild(ul);
  }

  // scoresHere is each person of the course as this device shows them: the copy's scores, or the
  // latest entry of the queue (pending, refused or in conflict) over them.
  async function scoresHere(c) {
    var own = await mine();
    return c.people.map(function (p) {
      var item = own.filter(function (i) { return i.kind === "scores" && i.body.course_id === c.id && i.body.trainee_id === p.trainee_id; }).pop();
      return {id: p.trainee_id, name: personName(p), copy: p.scores, scores: item ? item.body.scores : p.scores, item: item};
    });
  }

  // drawScores draws the list or one person's form into view; false when the form on the page is
  // already the one to show (a redraw would lose what is being typed).
  async function drawScores(view, target, courses, courseId, traineeId) {
    var c = courses.filter(function (x) { return x.id === courseId; })[0];
    if (!c) {
      view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.scores_no_copy")));
      view.appendChild(el("p")).appendChild(el("a", {href: "/"}, t("offline.back_home")));
      return true;
    }
    var people = await scoresHere(c);
    if (!traineeId) { drawScoresList(view, c, people); return true; }
    var p = people.filter(function (x) { return x.id === traineeId; })[0];
    if (!p) {
      view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.scores_no_copy")));
      return true;
    }
    var key = JSON.stringify([p.item && p.item.state, p.item && p.item.server, p.copy]);
    var shown = target.querySelector("form[data-offline-score]");
    if (shown && shown.getAttribute("data-key") === key) return false;
    drawScoreForm(view, c, p, key);
    return true;
  }

  function scoreNote(p) {
    if (!p.item) return "";
    return p.item.state === "conflict" ? t("offline.scores_conflict_note") : p.item.state === "refused" ? t("offline.refused") : t("offline.saved_here");
  }

  function drawScoresList(view, c, people) {
    view.appendChild(el("p")).appendChild(el("a", {href: "/"}, t("offline.back_home")));
    view.appendChild(el("h2", {}, t("outcomes.title")));
    view.appendChild(el("p", {"class": "lead"}, title(c)));
    if (c.closed) view.appendChild(el("p", {"class": "flash flash-error"}, t("course.closed")));
    var ul = el("ul", {"class": "score-people", "data-offline-scores": String(c.id)});
    if (!people.length) ul.appendChild(el("li", {"class": "muted"}, t("outcomes.nobody")));
    people.forEach(function (p) {
      var v = scoreValues(p.scores);
      var li = el("li", {id: "p-" + p.id, "class": "card go", "data-person": "t:" + p.id});
      li.appendChild(el("a", {href: "/courses/" + c.id + "/scores/" + p.id}, p.name));
      var tests = v[0] !== null && v[1] !== null ? t("outcomes.tests_in") : v[0] !== null || v[1] !== null ? t("outcomes.tests_partial") : t("outcomes.tests_none");
      if (v[2] !== null || v[3] !== null || v[4] !== null) tests += " · " + t("outcomes.rated");
      li.appendChild(el("span", {"class": "small muted"}, " " + tests));
      var note = scoreNote(p);
      if (note) li.appendChild(el("p", {"class": "muted small", "data-note": p.item.state}, note));
      ul.appendChild(li);
    });
    view.appendChild(ul);
  }

  // readScores reads the form's five values ({values} or {problems}: field → sentence), digits in any
  // script as the online form reads them.
  function readScores(form) {
    var problems = {}, values = [];
    SCORE_FIELDS.forEach(function (name, i) {
      var raw;
      if (i < 2) raw = form.elements[name].value;
      else { var checked = form.querySelector('input[name="' + name + '"]:checked'); raw = checked ? checked.value : ""; }
      raw = raw.trim().replace(/[\u0660-\u0669]/g, function (d) { return String(d.charCodeAt(0) - 0x660); })
        .replace(/[\u06f0-\u06f9]/g, function (d) { return String(d.charCodeAt(0) - 0x6f0); });
      var v = raw === "" ? null : /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
      var max = i < 2 ? 100 : 5, least = i < 2 ? 0 : 1;
      if (v !== null && !(v >= least && v <= max)) {
        problems[name] = (T[i < 2 ? "outcomes.score_range" : "outcomes.rating_range"] || "").split("{field}").join(t("field." + name));
      }
      values.push(v);
    });
    return Object.keys(problems).length ? {problems: problems} : {values: values};
  }

  function drawScoreForm(view, c, p, key) {
    var list = "/courses/" + c.id + "/scores";
    view.appendChild(el("p", {"class": "go"})).appendChild(el("a", {href: list + "#p-" + p.id}, "← " + t("outcomes.back")));
    view.appendChild(el("h2", {}, p.name));
    view.appendChild(el("p", {"class": "muted"}, title(c)));
    if (c.closed) view.appendChild(el("p", {"class": "flash flash-error"}, t("course.closed")));
    var entered = scoreValues(p.scores);
    if (p.item && p.item.state === "conflict") view.appendChild(scoresConflictBox(c, p));
    if (p.item && p.item.state === "refused") view.appendChild(el("p", {"class": "flash flash-error"}, p.item.error));
    var form = el("form", {"class": "card", novalidate: "", "data-offline-score": String(p.id), "data-key": key});
    SCORE_FIELDS.slice(0, 2).forEach(function (name, i) {
      var wrap = form.appendChild(el("p", {"class": "field"}));
      wrap.appendChild(el("label", {"for": "s-" + name}, t("field." + name)));
      wrap.appendChild(el("span", {"class": "hint", id: "h-" + name}, t("outcomes.score_hint")));
      var input = el("input", {id: "s-" + name, name: name, type: "text", inputmode: "numeric", dir: "ltr", autocomplete: "off",
        "aria-describedby": "h-" + name});
      input.value = entered[i] === null ? "" : String(entered[i]);
      wrap.appendChild(input);
      wrap.appendChild(el("span", {"class": "field-error", "data-error": name}));
    });
    SCORE_FIELDS.slice(2).forEach(function (name, k) {
      var fs = form.appendChild(el("fieldset", {"class": "field rating"}));
      fs.appendChild(el("legend", {}, t("field." + name)));
      fs.appendChild(el("p", {"class": "hint"}, t("outcomes.rating_hint")));
      var choices = fs.appendChild(el("div", {"class": "rating-choices"}));
      ["1", "2", "3", "4", "5", ""].forEach(function (v) {
        var label = choices.appendChild(el("label", {"class": "rating-choice"}));
        var input = label.appendChild(el("input", {type: "radio", name: name, value: v}));
        input.checked = String(entered[2 + k] === null ? "" : entered[2 + k]) === v;
        label.appendChild(document.createTextNode(" " + (v || t("outcomes.not_given"))));
      });
      fs.appendChild(el("p", {"class": "field-error", "data-error": name}));
    });
    var save = form.appendChild(el("p")).appendChild(el("button", {type: "submit", "class": "primary"}, t("outcomes.save_button")));
    save.disabled = !!c.closed;
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var read = readScores(form);
      form.querySelectorAll("[data-error]").forEach(function (x) { x.textContent = (read.problems || {})[x.getAttribute("data-error")] || ""; });
      if (read.problems) return;
      await enqueueScores(c.id, p.id, scoresOf(read.values));
      location.assign(list + "#p-" + p.id);
    });
    view.appendChild(form);
  }

  // scoresConflictBox shows both values of a change the server did not save (someone changed them
  // since this device's copy), the ones in conflict marked, and lets the trainer choose.
  // done, if given, runs once the choice is made (the online page reloads), else the shell redraws.
  function scoresConflictBox(c, p, done) {
    var box = el("div", {"class": "card flash flash-error", "data-scores-conflict": String(p.id)});
    box.appendChild(el("p", {}, t("offline.scores_conflict")));
    var table = box.appendChild(el("table"));
    var head = table.appendChild(el("tr"));
    head.appendChild(el("th"));
    head.appendChild(el("th", {scope: "col"}, t("offline.scores_mine")));
    head.appendChild(el("th", {scope: "col"}, t("offline.scores_server")));
    var typed = scoreValues(p.item.body.scores), server = scoreValues(p.item.server);
    SCORE_FIELDS.forEach(function (name, i) {
      var tr = table.appendChild(el("tr", p.item.fields.indexOf(name) >= 0 ? {"data-conflict-field": name} : {}));
      tr.appendChild(el("th", {scope: "row"}, t("field." + name)));
      tr.appendChild(el("td", {}, typed[i] === null ? "—" : String(typed[i])));
      tr.appendChild(el("td", {"data-server": name}, server[i] === null ? "—" : String(server[i])));
    });
    var buttons = box.appendChild(el("p"));
    var keepMine = buttons.appendChild(el("button", {type: "button", "class": "primary", "data-keep-mine": ""}, t("offline.scores_keep_mine")));
    buttons.appendChild(document.createTextNode(" "));
    var keepServer = buttons.appendChild(el("button", {type: "button", "data-keep-server": ""}, t("offline.scores_keep_server")));
    keepMine.addEventListener("click", function () { // over the server's values, now seen
      enqueueScores(c.id, p.id, p.item.body.scores).then(function () { return sync(false); }).then(done || function () {});
    });
    keepServer.addEventListener("click", async function () {
      var item = p.item;
      var courses = (await meta("courses")) || [];
      courses.forEach(function (x) {
        if (x.id === c.id) x.people.forEach(function (y) { if (y.trainee_id === p.id) y.scores = item.server; });
      });
      await write(["queue", "meta"], function (st) { st.queue.delete(item.seq); st.meta.put(courses, "courses"); });
      if (done) done(); else refresh();
    });
    return box;
  }

  // The online scores form: a save with the network gone is kept on this device instead of lost, and
  // an entry of this device the server did not save (a conflict) is shown above it to choose.
  function guardOnlineScores() {
    var m = location.pathname.match(/^\/courses\/(\d+)\/scores\/(\d+)$/);
    var form = m && document.querySelector('form[action="' + location.pathname + '"]');
    if (!form || shell) return;
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return; // online: the form posts as without JavaScript
      var read = readScores(form);
      if (read.problems) return; // the server's messages, once the network is back
      e.preventDefault();
      enqueueScores(Number(m[1]), Number(m[2]), scoresOf(read.values)).then(function () {
        location.assign("/courses/" + m[1] + "/scores#p-" + m[2]);
      });
    });
    mine().then(function (own) {
      var item = own.filter(function (i) {
        return i.kind === "scores" && i.state === "conflict" && i.body.course_id === Number(m[1]) && i.body.trainee_id === Number(m[2]);
      }).pop();
      if (item) form.parentNode.insertBefore(scoresConflictBox({id: Number(m[1])}, {id: Number(m[2]), item: item}, function () { location.reload(); }), form);
    });
  }

  // ---- the online sheet: a save with the network gone is kept on this device instead of lost
  function guardOnlineSheet() {
    var form = document.querySelector("form.sheet[action$='/attendance']");
    var m = location.pathname.match(/^\/sessions\/(\d+)\/attendance$/);
    if (!form || !m) return;
    var sessionId = Number(m[1]);
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return; // online: the form posts as without JavaScript
      e.preventDefault();
      var allPresent = e.submitter && e.submitter.value === "all_present";
      var marks = [];
      form.querySelectorAll("input[type=hidden][name^=shown_]").forEach(function (shown) {
        var id = shown.name.slice(6);
        var checked = form.querySelector('input[name="status_' + id + '"]:checked');
        if (checked && checked.value !== shown.value) marks.push({sessionId: sessionId, ref: "t:" + id, status: checked.value});
        else if (allPresent && !shown.value && !checked) {
          marks.push({sessionId: sessionId, ref: "t:" + id, status: "present", fillOnly: true, source: "all_present"});
        }
      });
      enqueueMarks(marks).then(function () { location.reload(); });
    });
  }

  // ---- signing out: send what can be sent, say what would be lost, then empty this device
  function guardLogout() {
    var form = document.querySelector("form.logout");
    if (!form) return;
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      if ((await mine()).some(function (i) { return i.state === "pending"; })) await sync(false);
      var left = (await mine()).length;
      if (left && !window.confirm(t("offline.logout_confirm"))) return;
      await wipe();
      form.submit();
    });
  }
  async function wipe() {
    try { (await db()).close(); } catch (e) { /* not open */ }
    dbPromise = null;
    await new Promise(function (resolve) { var r = indexedDB.deleteDatabase("takaffoul-offline"); r.onsuccess = r.onerror = r.onblocked = resolve; });
    if (window.caches) {
      var names = await caches.keys();
      await Promise.all(names.filter(function (x) { return x.indexOf("takaffoul-") === 0; }).map(function (x) { return caches.delete(x); }));
    }
    if (navigator.serviceWorker) {
      var regs = await navigator.serviceWorker.getRegistrations();
      await Promise.all(regs.map(function (r) { return r.unregister(); }));
    }
  }

  // ---- the check-in at the door (docs/OFFLINE.md, "A QR scan"): checkin.js sends each scanned or
  // typed code through window.takaffoulCheckin.send. Online it is posted as before; with the network
  // off (or gone on the way) the code is looked up in this device's copy — the keyed hashes of the
  // codes of its sessions' courses (never the codes) — and the person's "present" is queued like a tap.
  var ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  var timeFormat = new Intl.DateTimeFormat("en-GB", {timeZone: "Africa/Casablanca", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  function isolated(s) { return "\u2066" + s + "\u2069"; } // a time reads left to right in an Arabic sentence
  function fill(key, vars) {
    return Object.keys(vars).reduce(function (text, k) { return text.split("{" + k + "}").join(vars[k]); }, T[key] || key);
  }
  // parseCode reads a code as domain.ParseCheckinCode does: {code, token} or null (not a code of ours).
  function parseCode(input) {
    if (input.length > 64) return null;
    var code = input.replace(/[\s\-\u2010\u2013]/g, "").replace(/[\u0660-\u0669]/g, function (d) { return String(d.charCodeAt(0) - 0x660); })
      .replace(/[\u06f0-\u06f9]/g, function (d) { return String(d.charCodeAt(0) - 0x6f0); }).toUpperCase();
    var ours = function (x) { return x.split("").every(function (c) { return ALPHABET.indexOf(c) >= 0; }); };
    if (code.length === 6 && ours(code)) return {code: code, token: false};
    if (code.length === 19 && code.indexOf("TK1") === 0 && ours(code.slice(3))) return {code: code, token: true};
    return null;
  }
  // digest is domain.CheckinDigest: HMAC-SHA-256 under the pack's key, hexadecimal, cut.
  async function digest(keyHex, parsed) {
    var bytes = new Uint8Array(keyHex.match(/../g).map(function (h) { return parseInt(h, 16); }));
    var key = await crypto.subtle.importKey("raw", bytes, {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
    var sum = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(parsed.code)));
    var hex = Array.prototype.map.call(sum, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, parsed.token ? 32 : 5);
  }
  function refusal(message) { return {ok: false, status: 422, body: {error: message}, here: true}; }
  function sessionOpen(s) {
    return !s.cancelled && !s.course_closed && dayFormat.format(new Date(s.starts_at)) <= dayFormat.format(new Date());
  }

  // checkInHere answers a code as the server would, from this device's copy: the first scan queues
  // "present" (only while unmarked, as online); a person present already, or marked otherwise, is
  // told so and nothing is queued; a badge of another course of this device is refused with that
  // course's sentence; any other code (a withdrawn enrolment's, a course not on this device) is unknown.
  async function checkInHere(url, typed) {
    var m = url.match(/\/sessions\/(\d+)\/checkin/);
    var s = m && (await all("sessions")).filter(function (x) { return x.id === Number(m[1]); })[0];
    if (!s || (await meta("user")) !== userId) return refusal(t("offline.checkin_no_copy"));
    if (s.cancelled) return refusal(t("offline.cancelled"));
    if (!sessionOpen(s)) return refusal(t("offline.not_yet"));
    var parsed = parseCode(typed);
    if (!parsed) return refusal(T["checkin.malformed"]);
    var copy = (await meta("checkin")) || {key: "", codes: []};
    if (!copy.key) return refusal(t("offline.checkin_unknown"));
    var d = await digest(copy.key, parsed);
    var hits = copy.codes.filter(function (c) { return c.digest === d && (parsed.token || c.course_id === s.course_id); });
    var holders = hits.filter(function (c) { return c.course_id === s.course_id; })
      .map(function (c) { return c.trainee_id; }).filter(function (id, i, ids) { return ids.indexOf(id) === i; });
    if (!holders.length && hits.length) return refusal(T["checkin.other_course"]);
    var p = holders.length === 1 && (await roster(s)).filter(function (x) { return x.ref === "t:" + holders[0]; })[0];
    if (!p) return refusal(t("offline.checkin_unknown")); // two people of the course share a short code's hash: the server decides
    var entry = s.roster.filter(function (r) { return r.trainee_id === holders[0]; })[0];
    var name = lang === "ar" ? entry.full_name_ar || entry.full_name_latin : entry.full_name_latin || entry.full_name_ar; // as online
    var at = p.markedAt ? isolated(timeFormat.format(new Date(p.markedAt))) : "";
    if (p.status === "present") {
      return {ok: true, status: 200, here: true, body: {outcome: "already_present", message: fill("checkin.already_present", {name: name, at: at})}};
    }
    if (p.status) {
      var key = p.markedBy && !p.local ? "checkin.already_marked" : "checkin.already_marked_nobody";
      return {ok: true, status: 200, here: true, body: {outcome: "already_marked",
        message: fill(key, {name: name, at: at, status: t("attendance." + p.status), by: p.markedBy || ""})}};
    }
    await window.takaffoulOffline.enqueueMark(s.id, holders[0], "present", "qr");
    return {ok: true, status: 200, here: true, body: {outcome: "checked_in",
      message: fill("checkin.checked_in", {name: name, at: isolated(timeFormat.format(new Date()))}) + " " + t("offline.checkin_queued")}};
  }

  // keepCheckIn writes an online check-in into this device's copy, so that a second scan offline
  // answers "already present" too.
  async function keepCheckIn(url, body) {
    var m = url.match(/\/sessions\/(\d+)\/checkin/);
    if (!m || !body || !body.trainee_id || !body.status) return;
    var s = (await all("sessions")).filter(function (x) { return x.id === Number(m[1]); })[0];
    var p = s && s.roster.filter(function (r) { return r.trainee_id === body.trainee_id; })[0];
    if (!p) return;
    p.status = body.status; p.marked_at = body.marked_at; p.marked_by = body.marked_by;
    await write(["sessions"], function (st) { st.sessions.put(s); });
  }

  function sendCheckin(url, code) {
    var input = document.querySelector("[data-checkin-form] input[name=_csrf]");
    var csrf = input && input.value;
    if (!navigator.onLine || !csrf) return checkInHere(url, code);
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf},
      body: "code=" + encodeURIComponent(code)
    }).then(function (r) {
      return r.json().then(function (body) {
        if (r.ok) keepCheckIn(url, body).catch(function () {});
        return {ok: r.ok, status: r.status, body: body};
      });
    }, function () { return checkInHere(url, code); }); // the network went on the way: the device answers
  }
  window.takaffoulCheckin = window.takaffoulCheckin || {};
  window.takaffoulCheckin.send = sendCheckin;

  // drawCheckin is the check-in page as the server draws it (sessions/checkin.html), for the shell:
  // drawn once (the camera keeps running while the queue redraws), then checkin.js is run on it.
  var checkinDrawn = false;
  async function drawCheckin(target, s) {
    var people = await roster(s);
    var present = people.filter(function (p) { return p.status === "present" || p.status === "late"; }).length;
    var count = target.querySelector("[data-checkin-present] bdi");
    if (count) count.textContent = present + " / " + people.length;
    if (checkinDrawn) return;
    checkinDrawn = true;
    var view = el("section", {"class": "checkin"});
    var nav = view.appendChild(el("p"));
    nav.appendChild(el("a", {href: "/sessions/" + s.id + "/attendance"}, t("offline.open_sheet")));
    nav.appendChild(document.createTextNode(" · "));
    nav.appendChild(el("a", {href: "/"}, t("offline.back_home")));
    view.appendChild(el("h2", {}, t("title.sessions.checkin")));
    view.appendChild(el("p", {"class": "lead"}, title(s) + " · " + when(s.starts_at) + (s.place ? " · " + s.place : "")));
    if (s.cancelled) view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.cancelled")));
    else if (!sessionOpen(s)) view.appendChild(el("p", {"class": "flash flash-error"}, t("offline.not_yet")));
    var line = view.appendChild(el("p", {"class": "checkin-count"}, t("checkin.present_count") + ": "));
    line.appendChild(el("span", {"data-checkin-present": ""})).appendChild(el("bdi", {}, present + " / " + people.length));
    view.appendChild(el("p", {"class": "checkin-result", role: "status", "aria-live": "polite", "data-checkin-result": ""}));
    var scanner = el("div", {"class": "scanner", "data-scanner": "", hidden: "", "data-jsqr": "/static/vendor/jsqr/jsQR.min.js",
      "data-msg-denied": t("checkin.camera_denied"), "data-msg-unsupported": t("checkin.camera_unsupported"),
      "data-msg-scanning": t("checkin.scanning"), "data-msg-network": t("checkin.network_error")});
    var buttons = scanner.appendChild(el("p"));
    buttons.appendChild(el("button", {type: "button", "class": "primary", "data-scan-start": ""}, t("checkin.camera_start")));
    buttons.appendChild(el("button", {type: "button", "data-scan-stop": "", hidden: ""}, t("checkin.camera_stop")));
    scanner.appendChild(el("p", {"class": "muted small"}, t("checkin.camera_hint")));
    scanner.appendChild(el("video", {"class": "scanner-video", "data-scan-video": "", playsinline: "", muted: "", hidden: ""}));
    scanner.appendChild(el("p", {"class": "muted small", "data-scan-status": ""}));
    scanner.appendChild(el("h3", {"class": "small-heading", "data-scan-log-title": "", hidden: ""}, t("checkin.recent")));
    scanner.appendChild(el("ol", {"class": "scan-log", "data-scan-log": ""}));
    view.appendChild(scanner);
    var form = el("form", {method: "post", action: "/sessions/" + s.id + "/checkin", "class": "checkin-form", "data-checkin-form": ""});
    form.appendChild(el("input", {type: "hidden", name: "_csrf", value: ""})); // no token offline: the device answers
    form.appendChild(el("label", {"for": "f-code"}, t("checkin.type_label")));
    form.appendChild(el("p", {"class": "muted small", id: "f-code-hint"}, t("checkin.type_hint")));
    var typed = form.appendChild(el("p", {"class": "checkin-typed"}));
    typed.appendChild(el("input", {id: "f-code", name: "code", dir: "ltr", autocomplete: "off", autocapitalize: "characters",
      spellcheck: "false", maxlength: "64", "aria-describedby": "f-code-hint", required: ""}));
    typed.appendChild(el("button", {type: "submit", "class": "primary"}, t("checkin.submit")));
    view.appendChild(form);
    target.replaceChildren(view);
    document.head.appendChild(el("link", {rel: "stylesheet", href: "/static/checkin.css"}));
    document.body.appendChild(el("script", {src: "/static/checkin.js"}));
  }

  // For other scripts of the trainer's pages (the QR check-in): a scan is a mark like a tap, but
  // like the check-in online it only fills a person still unmarked (fill_only), never replaces a mark.
  window.takaffoulOffline = {
    enqueueMark: function (sessionId, traineeId, status, source) {
      return enqueueMarks([{sessionId: sessionId, ref: "t:" + traineeId, status: status, source: source || "qr", fillOnly: true}])
        .then(function () { sync(false); });
    },
    sync: sync
  };

  window.addEventListener("online", function () { state.online = true; sync(false); });
  window.addEventListener("offline", function () { state.online = false; render(); });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register("/static/sw.js", {scope: "/"}).catch(function () {});
    navigator.serviceWorker.ready.then(function () { // keep the shell fresh (sw.js caches it on the way)
      if (!shell && navigator.onLine && navigator.serviceWorker.controller) fetch("/offline", {credentials: "same-origin"}).catch(function () {});
      // The check-in page's QR decoder where the browser has none (jsQR, 130 KB): fetched through the
      // service worker (once it controls this page), which keeps it for the day without network.
      if (!navigator.onLine || "BarcodeDetector" in window || !/\/checkin$/.test(location.pathname)) return;
      // (sw.js precaches it since 2026-12-02.5; this keeps it for installs made before.)
      var keepDecoder = function () { fetch("/static/vendor/jsqr/jsQR.min.js").catch(function () {}); };
      if (navigator.serviceWorker.controller) keepDecoder();
      else navigator.serviceWorker.addEventListener("controllerchange", keepDecoder, {once: true});
    });
  }
  guardOnlineSheet();
  guardOnlineScores();
  guardLogout();
  refresh().then(function () { if (navigator.onLine) sync(false); });
})();
