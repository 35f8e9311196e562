// The "Find case studies for your challenge" page. Sends the challenge to /api/search
// (served by `kb serve`), then counts and filters the results by the facets in
// finder-data.json (written at build time). The query and the filters live in the
// address, so a search can be shared and the back button works. Every value shown is
// set as text (textContent, text nodes), never as HTML.
document$.subscribe(function () {
  var form = document.getElementById("kb-finder");
  if (!form) return;
  var input = document.getElementById("kb-finder-query");
  var status = document.getElementById("kb-finder-status");
  var notes = document.getElementById("kb-finder-notes");
  var facetBox = document.getElementById("kb-finder-facets");
  var list = document.getElementById("kb-finder-results");
  var more = document.getElementById("kb-finder-more");
  var brief = document.getElementById("kb-finder-brief");
  var unavailable = "The finder needs the knowledge base's search service (run `kb serve`). Use the site search instead: press / or select the search box.";
  var POOL = 50; // results asked for; facets count those that match closely
  var WITHOUT_CLOSENESS = 20; // how many count as matches when the service does not say which are close
  var SHOWN = 10;
  var base = new URL(JSON.parse(document.getElementById("__config").textContent).base + "/", location.href);
  var data = { facets: [], entries: {} };
  var answers = {}; // query → the service's answer, so filtering and going back ask nothing again
  var showAll = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- the address: the query, and each facet's chosen values (repeated parameters). ------
  // Not "q": Material's site search opens itself on any page whose address has a "q".
  var QUERY = "query";
  function readState() {
    var params = new URLSearchParams(location.search);
    var chosen = {};
    data.facets.forEach(function (f) { chosen[f.name] = params.getAll(f.name); });
    return { q: (params.get(QUERY) || "").trim(), chosen: chosen };
  }
  function query(state, extra, name) {
    var params = new URLSearchParams();
    params.set(name || QUERY, state.q);
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    Object.keys(state.chosen).forEach(function (name) {
      state.chosen[name].forEach(function (value) { params.append(name, value); });
    });
    return params.toString();
  }
  function go(state) {
    history.pushState(null, "", "?" + query(state));
    run();
  }

  // --- facets: an entry's values, counts that ignore the facet's own choice --------------
  function valuesOf(result, name) {
    var known = data.entries[result.id];
    if (known) return known[name] || [];
    if (name === "type") return [result.type];
    if (name === "evidence") return result.evidence ? [result.evidence] : [];
    return [];
  }
  function passes(result, chosen, except) {
    return data.facets.every(function (f) {
      var wanted = chosen[f.name] || [];
      if (f.name === except || !wanted.length) return true;
      var has = valuesOf(result, f.name);
      return wanted.some(function (v) { return has.indexOf(v) >= 0; });
    });
  }
  // On a phone the filters fold away under one line, so the results come first into view.
  var narrow = window.matchMedia("(max-width: 44.9375em)");
  var folded = null; // the reader's own choice, once they open or close the filters
  function drawFacets(pool, state) {
    facetBox.replaceChildren();
    var details = el("details", "kb-facets-fold");
    var chosenCount = Object.keys(state.chosen).reduce(function (n, k) { return n + state.chosen[k].length; }, 0);
    details.append(el("summary", "", "Filter the results" + (chosenCount ? " (" + chosenCount + " chosen)" : "")));
    details.open = folded === null ? !narrow.matches : !folded;
    details.addEventListener("toggle", function () { folded = !details.open; });
    data.facets.forEach(function (f) {
      var counts = {};
      pool.forEach(function (r) {
        if (!passes(r, state.chosen, f.name)) return;
        valuesOf(r, f.name).forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
      });
      var chosen = state.chosen[f.name] || [];
      var values = Object.keys(f.values).filter(function (v) { return counts[v] || chosen.indexOf(v) >= 0; });
      if (!values.length) return;
      values.sort(function (a, b) { return (counts[b] || 0) - (counts[a] || 0) || f.values[a].localeCompare(f.values[b]); });
      var set = el("fieldset");
      set.append(el("legend", "", f.label));
      values.forEach(function (v) {
        var label = el("label");
        var box = el("input");
        box.type = "checkbox";
        box.name = f.name;
        box.value = v;
        box.checked = chosen.indexOf(v) >= 0;
        box.addEventListener("change", function () {
          var next = readState();
          var picked = next.chosen[f.name].filter(function (x) { return x !== v; });
          if (box.checked) picked.push(v);
          next.chosen[f.name] = picked;
          showAll = false;
          go(next);
        });
        label.append(box, el("span", "", f.values[v]), el("span", "kb-facet-count", "(" + (counts[v] || 0) + ")"));
        set.append(label);
      });
      details.append(set);
    });
    if (details.children.length > 1) facetBox.append(details);
    facetBox.hidden = !facetBox.children.length;
  }

  // --- one result: title, who, evidence, and the passage with the query's words marked ---
  function marked(text, words) {
    var p = el("p", "kb-finder-why");
    p.append("Why it matched: ");
    var safe = (words || []).filter(Boolean).map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    if (!safe.length) { p.append(text); return p; }
    var pattern = new RegExp("\\b(" + safe.join("|") + ")\\b", "gi");
    var last = 0;
    text.replace(pattern, function (found, _word, at) {
      p.append(text.slice(last, at), el("mark", "", found));
      last = at + found.length;
      return found;
    });
    p.append(text.slice(last));
    return p;
  }
  function item(r) {
    var li = el("li");
    var a = el("a", "", r.title);
    a.href = new URL(r.url, base).href;
    var typeName = (data.singular || {})[r.type] || r.type;
    var who = el("span", "kb-finder-org", " — " + typeName + (r.organisation ? ", " + r.organisation : ""));
    li.append(a, who);
    if (r.evidence) {
      var evidence = (data.facets.filter(function (f) { return f.name === "evidence"; })[0] || { values: {} }).values[r.evidence] || r.evidence;
      li.append(el("span", "kb-evidence-tag kb-evidence--" + r.evidence, evidence));
    }
    li.append(marked(r.match, r.match_terms));
    return li;
  }

  // --- what the service said about the query: expansions, "did you mean", closeness -----
  function drawNotes(body, state) {
    notes.replaceChildren();
    var expansions = body.expansions || [];
    if (expansions.length) {
      notes.append(el("p", "", "Also searched for: " + expansions.map(function (e) { return e.term + " (" + e.expansion + ")"; }).join(", ")));
    }
    if (body.did_you_mean) {
      var p = el("p", "", "Did you mean ");
      var a = el("a", "", body.did_you_mean);
      a.href = "?" + query({ q: body.did_you_mean, chosen: state.chosen });
      p.append(a, "?");
      notes.append(p);
    }
    if (body.no_close_match) {
      notes.append(el("p", "kb-finder-none", "Nothing in the knowledge base is a close match for “" + state.q + "”. The nearest entries are below, but they may not be about your challenge: try other words, or fewer filters."));
    }
  }

  function draw(body, state) {
    var results = body.results || [];
    var told = results.some(function (r) { return typeof r.close === "boolean"; });
    var pool = told ? results.filter(function (r) { return r.close; }) : results.slice(0, WITHOUT_CLOSENESS);
    if (!pool.length) pool = results.slice(0, 5); // no close match: still show the nearest few
    drawNotes(body, state);
    drawFacets(pool, state);
    var chosen = pool.filter(function (r) { return passes(r, state.chosen, null); });
    var shown = showAll ? chosen : chosen.slice(0, SHOWN);
    list.replaceChildren.apply(list, shown.map(item));
    more.hidden = chosen.length <= shown.length;
    more.textContent = "Show all " + chosen.length + " results";
    var filtered = Object.keys(state.chosen).some(function (k) { return state.chosen[k].length; });
    if (!results.length) status.textContent = "Nothing found for “" + state.q + "”. Try other words.";
    else if (!chosen.length) status.textContent = "No results for “" + state.q + "” with these filters. Clear a filter to see more.";
    else status.textContent = chosen.length + (chosen.length === 1 ? " result" : " results") + " for “" + state.q + "”" + (filtered ? ", filtered" : "") + (shown.length < chosen.length ? "; showing the first " + shown.length : "") + ".";
    brief.href = "/api/brief?" + query(state, { format: "docx" }, "q");
    brief.hidden = !results.length;
  }

  function clear() {
    [notes, facetBox, list].forEach(function (n) { n.replaceChildren(); });
    facetBox.hidden = true;
    more.hidden = true;
    brief.hidden = true;
  }

  function run() {
    var state = readState();
    input.value = state.q;
    if (!state.q) { clear(); status.textContent = ""; return; }
    if (location.protocol === "file:") { clear(); status.textContent = unavailable; return; }
    if (answers[state.q]) { draw(answers[state.q], state); return; }
    status.textContent = "Searching…";
    fetch("/api/search?" + new URLSearchParams({ q: state.q, k: String(POOL), type: "all" }), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || !(response.headers.get("content-type") || "").includes("application/json")) throw new Error("unavailable");
        return response.json();
      })
      .then(function (body) {
        answers[state.q] = body;
        if (readState().q === state.q) draw(body, readState()); // unless the reader moved on
      })
      .catch(function () { clear(); status.textContent = unavailable; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    if (!q) { status.textContent = "Type your challenge first."; return; }
    var state = readState();
    state.q = q;
    showAll = false;
    go(state);
  });
  more.addEventListener("click", function () { showAll = true; run(); });
  window.addEventListener("popstate", run);

  if (location.protocol === "file:") status.textContent = unavailable;
  fetch(new URL("finder-data.json", base).href)
    .then(function (response) { return response.ok ? response.json() : data; })
    .catch(function () { return data; })
    .then(function (loaded) { data = loaded; run(); });
});
