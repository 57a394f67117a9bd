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
        if (r.outcome === "conflict") conflicts++;
        if (item.kind === "walkin" && r.trainee_id) walkins[item.body.id] = r.trainee_id;
        st.queue.delete(item.seq);
      });
      st.meta.put(walkins, "walkins");
      st.meta.put(conflicts, "conflicts");
    });
  }

  // ---- what the page shows
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
    var contact = await meta("lastContact");
    var conflicts = (await meta("conflicts")) || 0;
    statusBox.textContent = "";
    line("data-net", state.online ? t("offline.online_now") : t("offline.offline_now"));
    line("data-pending", n("offline.pending", pending.length)).setAttribute("data-count", String(pending.length));
    line("data-contact", contact ? t("offline.last_contact", when(contact)) : t("offline.never_contact"));
    if (conflicts) line("data-conflicts", n("offline.conflict_count", conflicts));
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
    if (!shell) line("data-kept", t("offline.kept_for")).className = "muted small";
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
    var m = location.pathname.match(/^\/sessions\/(\d+)\/attendance$/);
    var s = m && sessions.filter(function (x) { return x.id === Number(m[1]); })[0];
    if (s) await drawSheet(view, s);
    else drawSessions(view, sessions);
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
          p.status = i.body.status; p.local = true; p.refused = i.state === "refused";
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
    });
  }
  guardOnlineSheet();
  guardLogout();
  refresh().then(function () { if (navigator.onLine) sync(false); });
})();
