// The contribute page: a form generated from the entry models' JSON Schema (GET
// /api/drafts/form), so a field added to a model appears here without editing this file.
// "Check" and "Submit for review" are checked on the server by kb validate's own rules;
// each problem is shown at its field and listed at the top. The draft is kept in this
// browser as it is typed; entries very like it are looked for as it is typed.
document$.subscribe(function () {
  var page = document.getElementById("kb-contribute");
  if (!page) return;
  var S = window.kbSession, el = S.el;
  var DRAFT = "kb-contribute-draft";
  var form = document.getElementById("kb-contribute-form");
  var fieldsBox = document.getElementById("kb-contribute-fields");
  var summaryBox = document.getElementById("kb-contribute-problems");
  var status = document.getElementById("kb-contribute-status");
  var similarBox = document.getElementById("kb-contribute-similar");
  var previewBox = document.getElementById("kb-contribute-preview");
  var doneBox = document.getElementById("kb-contribute-done");
  var mineBox = document.getElementById("kb-contribute-mine");
  var whoBox = document.getElementById("kb-contribute-who");
  var signInBox = document.getElementById("kb-contribute-signin");
  var spec = null;

  // --- the schema ------------------------------------------------------------------------
  function resolve(schema) {
    if (schema && schema.$ref) return spec.components[schema.$ref.split("/").pop()];
    return schema || {};
  }
  // The schema of a value that may be null: its other alternative(s).
  function nonNull(schema) {
    var options = (schema.anyOf || []).filter(function (s) { return s.type !== "null"; });
    if (!schema.anyOf) return { schema: schema, options: [schema] };
    return { schema: options.length === 1 ? Object.assign({}, schema, options[0], { anyOf: undefined }) : schema, options: options };
  }
  function kindOf(schema) {
    var found = nonNull(schema), s = found.schema;
    if (found.options.length > 1) return found.options.some(function (o) { return o.type === "integer"; }) ? "page" : "text";
    if (s.$ref) return resolve(s).properties ? "group" : "text";
    if (s.enum) return "select";
    if (s.type === "boolean") return "checkbox";
    if (s.type === "integer" || s.type === "number") return "number";
    if (s.type === "array") {
      var items = resolve(s.items);
      if (items.enum) return "choices";
      if (items.properties) return "rows";
      return "list";
    }
    return s["x-kb-long"] ? "long" : "text";
  }
  function sentence(text) { return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase(); }
  function labelOf(name, schema) {
    var own = spec.fields[name];
    return own ? own.label : sentence(schema.title || name.replace(/_/g, " "));
  }
  function hintOf(name, schema) {
    var own = spec.fields[name];
    if (own && own.hint) return own.hint;
    // The models' descriptions, for people rather than YAML: no `code` quotes.
    return (schema.description || nonNull(schema).schema.description || "").split(" Also:")[0].replace(/`/g, "'");
  }
  function one(label) { return label.replace(/ses$/, "s").replace(/s$/, "").replace(/ie$/, "y"); }
  function modelOf(type) { return resolve({ $ref: spec.body.discriminator.mapping[type] }); }

  // --- building the form ---------------------------------------------------------------
  var serial = 0;
  function newId() { serial += 1; return "kb-f" + serial; }

  function field(name, schema, value, required) {
    var kind = kindOf(schema);
    var inner = nonNull(schema).schema;
    var box = el(kind === "group" || kind === "rows" || kind === "choices" || kind === "list" ? "fieldset" : "div", "kb-field kb-field--" + kind);
    box.dataset.name = name;
    box.dataset.kind = kind;
    var label = labelOf(name, schema);
    var hint = el("p", "kb-hint", hintOf(name, schema));
    hint.id = newId();
    var error = el("p", "kb-error");
    error.id = newId();
    error.hidden = true;
    box.dataset.error = error.id;
    if (box.tagName === "FIELDSET") {
      box.append(el("legend", "", label));
      if (hint.textContent) box.append(hint);
      box.append(error);
      box.setAttribute("aria-describedby", [hint.textContent ? hint.id : "", error.id].join(" ").trim());
      if (kind === "group") box.append(fields(resolve(inner), value || {}, "kb-fields"));
      if (kind === "rows") rows(box, name, resolve(inner.items), value || [], inner.minItems || 0);
      if (kind === "list") listRows(box, label, value || []);
      if (kind === "choices") choices(box, name, label, resolve(inner.items).enum, value || []);
      return box;
    }
    var id = newId();
    var control;
    if (kind === "long") { control = el("textarea"); control.rows = name === "summary" ? 3 : 5; }
    else if (kind === "select") {
      control = el("select");
      control.append(option("", required ? "Choose…" : "None"));
      inner.enum.forEach(function (v) { control.append(option(v, (spec.choices[name] || {})[v] || v.replace(/-/g, " "))); });
    } else { control = el("input"); control.type = kind === "checkbox" ? "checkbox" : "text"; }
    if (kind === "number") control.inputMode = "decimal";
    if (inner.maxLength) control.maxLength = inner.maxLength;
    control.id = id;
    control.name = name;
    if (kind === "checkbox") control.checked = value === true;
    else if (value !== undefined && value !== null) control.value = String(value);
    control.setAttribute("aria-describedby", [hint.textContent ? hint.id : "", error.id].join(" ").trim());
    if (required) control.setAttribute("aria-required", "true");
    var labelNode = el("label", "", label);
    labelNode.htmlFor = id;
    if (kind === "checkbox") box.append(control, labelNode);
    else box.append(labelNode);
    if (hint.textContent) box.append(hint);
    box.append(error);
    if (kind !== "checkbox") box.append(control);
    return box;
  }
  function option(value, text) { var o = el("option", "", text); o.value = value; return o; }

  // An object's fields, in the order of its schema.
  function fields(schema, value, className) {
    var box = el("div", className);
    var required = schema.required || [];
    Object.keys(schema.properties).forEach(function (name) {
      box.append(field(name, schema.properties[name], value[name], required.indexOf(name) >= 0));
    });
    return box;
  }

  function rows(box, name, itemSchema, values, minimum) {
    var list = el("div", "kb-rows");
    var label = box.querySelector("legend").textContent;
    var add = el("button", "md-button kb-add", "Add " + one(label).toLowerCase());
    add.type = "button";
    function addRow(value) {
      var row = el("fieldset", "kb-row");
      row.append(el("legend"));
      row.append(fields(itemSchema, value || {}, "kb-fields"));
      var remove = el("button", "md-button kb-remove");
      remove.type = "button";
      remove.addEventListener("click", function () {
        row.remove();
        number();
        changed();
        add.focus();
      });
      row.append(remove);
      list.append(row);
      number();
      return row;
    }
    function number() {
      Array.prototype.forEach.call(list.children, function (row, i) {
        row.querySelector(":scope > legend").textContent = one(label) + " " + (i + 1);
        row.querySelector(":scope > .kb-remove").textContent = "Remove " + one(label).toLowerCase() + " " + (i + 1);
      });
    }
    values.forEach(addRow);
    for (var i = values.length; i < minimum; i++) addRow();
    add.addEventListener("click", function () {
      var row = addRow();
      var first = row.querySelector("input, select, textarea");
      if (first) first.focus();
      changed();
    });
    box.append(list, add);
  }

  function listRows(box, label, values) {
    // A list of short texts: one per line.
    var id = newId();
    var hint = box.querySelector(".kb-hint");
    var area = el("textarea");
    area.id = id;
    area.rows = 2;
    area.value = values.join("\n");
    area.setAttribute("aria-label", label + ", one per line");
    area.setAttribute("aria-describedby", box.getAttribute("aria-describedby"));
    var note = el("p", "kb-hint", "One per line.");
    if (hint) hint.append(" ", note.textContent); else box.append(note);
    box.append(area);
  }

  function choices(box, name, label, ids, chosen) {
    // Checkboxes with a filter: type to narrow a long list (themes, entries to link to).
    var names = spec.choices[name] || {};
    var filterId = newId();
    var filterLabel = el("label", "kb-filter-label", "Filter " + label.toLowerCase());
    filterLabel.htmlFor = filterId;
    var filter = el("input", "kb-filter");
    filter.id = filterId;
    filter.type = "search";
    var list = el("div", "kb-choices");
    ids.forEach(function (value) {
      var item = el("div", "kb-choice");
      var boxId = newId();
      var check = el("input");
      check.type = "checkbox";
      check.id = boxId;
      check.value = value;
      check.checked = chosen.indexOf(value) >= 0;
      var text = el("label", "", names[value] || value.replace(/-/g, " "));
      text.htmlFor = boxId;
      item.append(check, text);
      list.append(item);
    });
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase();
      Array.prototype.forEach.call(list.children, function (item) {
        item.hidden = words && item.textContent.toLowerCase().indexOf(words) < 0 && !item.querySelector("input").checked;
      });
    });
    box.append(filterLabel, filter);
    box.append(list);
  }

  // --- reading the form back -------------------------------------------------------------
  function valueOf(box) {
    var kind = box.dataset.kind;
    if (kind === "group") return collect(box.querySelector(":scope > .kb-fields"), true);
    if (kind === "rows") {
      return Array.prototype.map.call(box.querySelector(":scope > .kb-rows").children, function (row) {
        return collect(row.querySelector(":scope > .kb-fields"), false) || {};
      });
    }
    if (kind === "list") return box.querySelector("textarea").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    if (kind === "choices") return Array.prototype.filter.call(box.querySelectorAll(".kb-choice input"), function (c) { return c.checked; }).map(function (c) { return c.value; });
    var control = box.querySelector("input, select, textarea");
    if (kind === "checkbox") return control.checked ? true : undefined;
    var text = control.value.trim();
    if (!text) return undefined;
    if (kind === "number") return /^-?\d+(\.\d+)?$/.test(text.replace(/,/g, "")) ? Number(text.replace(/,/g, "")) : text;
    if (kind === "page") return /^\d+$/.test(text) ? Number(text) : text;
    return control.tagName === "TEXTAREA" ? control.value.replace(/\s+$/, "") : text;
  }
  // The fields in ``container`` as an object; with ``dropEmpty``, undefined when all are empty.
  function collect(container, dropEmpty) {
    var out = {};
    Array.prototype.forEach.call(container.querySelectorAll(":scope > .kb-field"), function (box) {
      var value = valueOf(box);
      if (value === undefined || (Array.isArray(value) && !value.length)) return;
      out[box.dataset.name] = value;
    });
    return dropEmpty && !Object.keys(out).length ? undefined : out;
  }
  function draft() {
    var entry = { type: typeSelect.value };
    fieldsBox.querySelectorAll(":scope > .kb-fields").forEach(function (part) { Object.assign(entry, collect(part, false)); });
    return entry;
  }

  // --- problems at their fields ------------------------------------------------------------
  function clearProblems() {
    summaryBox.hidden = true;
    summaryBox.replaceChildren();
    page.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
    page.querySelectorAll(".kb-error").forEach(function (n) { n.hidden = true; n.textContent = ""; });
    page.querySelectorAll(".kb-field--invalid").forEach(function (n) { n.classList.remove("kb-field--invalid"); });
  }
  // The field box a problem's location names (["body", "sources", 0, "page"]), or the
  // nearest one that exists.
  function boxAt(loc) {
    var path = loc.slice(loc[0] === "body" ? 1 : 0);
    var scope = fieldsBox, found = null;
    for (var i = 0; i < path.length; i++) {
      var part = path[i];
      if (typeof part === "number") {
        if (!found || found.dataset.kind !== "rows") break;
        var row = found.querySelector(":scope > .kb-rows").children[part];
        if (!row) break;
        scope = row;
        continue;
      }
      var next = Array.prototype.find.call(scope.querySelectorAll(".kb-field"), function (b) {
        return b.dataset.name === part && b.parentElement.closest(".kb-row, .kb-field--group, #kb-contribute-fields") === (scope === fieldsBox ? fieldsBox : scope);
      });
      if (!next) break;
      found = next;
      scope = next;
    }
    return found;
  }
  // kb validate's words, put for the form: the field is already named beside it.
  function plain(words) {
    return /^missing required field/.test(words) ? "Fill this in." : words.replace(/^field '[^']*': /, "");
  }
  function showProblems(problems) {
    clearProblems();
    problems = problems.map(function (p) { return { msg: p.msg, box: p.loc ? boxAt(p.loc) : null }; });
    problems.sort(function (a, b) {  // in the form's order, top to bottom
      if (a.box === b.box) return 0;
      if (!a.box || !b.box) return a.box ? 1 : b.box ? -1 : 0;
      return a.box.compareDocumentPosition(b.box) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    summaryBox.append(el("h2", "", problems.length === 1 ? "There is a problem" : "There are " + problems.length + " problems"));
    var list = el("ul");
    problems.forEach(function (problem) {
      var box = problem.box;
      var words = box ? plain(problem.msg) : problem.msg;
      var item = el("li");
      if (box) {
        var error = document.getElementById(box.dataset.error);
        error.textContent = error.textContent ? error.textContent + " " + words : words;
        error.hidden = false;
        box.classList.add("kb-field--invalid");
        var target = box.querySelector("input, select, textarea, button");
        if (target && target.tagName !== "BUTTON") target.setAttribute("aria-invalid", "true");
        var a = el("a", "", labelAt(box) + ": " + words);
        a.href = "#" + (target ? target.id || "" : "");
        a.addEventListener("click", function (event) { event.preventDefault(); if (target) target.focus(); });
        item.append(a);
      } else item.textContent = words;
      list.append(item);
    });
    summaryBox.append(list);
    summaryBox.hidden = false;
    summaryBox.focus();
  }
  function labelAt(box) {
    var parts = [];
    for (var node = box; node && node !== fieldsBox; node = node.parentElement) {
      var own = node.querySelector(":scope > legend, :scope > label");
      if (own && (node.classList.contains("kb-field") || node.classList.contains("kb-row"))) parts.unshift(own.textContent);
    }
    return parts.join(", ");
  }

  // --- the draft kept in this browser -------------------------------------------------------
  var saving = null, looking = null;
  function changed() {
    clearTimeout(saving);
    saving = setTimeout(function () { localStorage.setItem(DRAFT, JSON.stringify(draft())); }, 300);
    clearTimeout(looking);
    looking = setTimeout(lookForSimilar, 800);
  }
  function saved() {
    try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { return null; }
  }

  // --- entries like it, as it is typed ----------------------------------------------------
  var lastLooked = "";
  function lookForSimilar() {
    // Only the title and the prose: what similarity is measured on, and nothing
    // half-typed (an id, a page) that would make the draft a 422 for now.
    var full = draft(), model = modelOf(full.type), entry = { type: full.type };
    Object.keys(full).forEach(function (name) {
      var schema = model.properties[name];
      if (schema && typeof full[name] === "string" && (name === "title" || schema["x-kb-long"])) entry[name] = full[name];
    });
    var words = JSON.stringify([entry.type, entry.title, entry.summary, entry.challenge, entry.approach, entry.detail]);
    if (words === lastLooked) return;
    lastLooked = words;
    S.api("POST", "/api/similar", entry).then(function (answer) {
      if (answer.status === 200) showSimilar(answer.body.similar);
    }, function () {});
  }
  function showSimilar(similar) {
    similarBox.replaceChildren();
    similarBox.hidden = !similar.length;
    if (!similar.length) return;
    similarBox.append(el("h2", "", "Is it already here?"));
    similarBox.append(el("p", "", "These published entries are very like yours. Check yours is not one of them before you send it."));
    var list = el("ul");
    similar.forEach(function (s) {
      var item = el("li");
      item.append(S.link(s.url || urlOf(s), s.title), " (similarity " + s.similarity.toFixed(2) + ")");
      list.append(item);
    });
    similarBox.append(list);
  }
  function urlOf(s) { return spec.urls[s.type] + s.id + "/"; }

  // --- preview -----------------------------------------------------------------------------
  function showPreview(html) {
    previewBox.replaceChildren();
    previewBox.hidden = false;
    previewBox.append(el("h2", "", "Preview"));
    previewBox.append(el("p", "", "Your entry as the site will show it once a reviewer approves it."));
    previewBox.append(S.preview(html, "Preview of your entry"));
  }

  // --- the buttons -------------------------------------------------------------------------
  var busy = false;
  function send(path, done) {
    if (busy) return;
    busy = true;
    status.textContent = path === "/api/submissions" ? "Sending…" : "Checking…";
    S.api("POST", path, draft()).then(function (answer) {
      busy = false;
      status.textContent = "";
      if (answer.status === 422 && Array.isArray(answer.body.detail)) return showProblems(answer.body.detail);
      if (answer.status === 401) { S.forget(); form.hidden = true; return S.start(signInBox, ready); }
      if (answer.status >= 400) return showProblems([{ msg: S.message(answer), loc: answer.status === 409 ? ["body", "id"] : null }]);
      clearProblems();
      done(answer.body);
    }, function () {
      busy = false;
      status.textContent = "The knowledge base's service could not be reached; your draft is kept in this browser. Try again in a moment.";
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var which = event.submitter && event.submitter.value;
    if (which === "check") {
      send("/api/drafts/check", function (body) {
        status.textContent = body.similar.length ? "No problems found, but it is very like an entry already published: see below." : "No problems found. You can submit it for review.";
        showSimilar(body.similar);
        showPreview(body.preview);
      });
    } else {
      send("/api/submissions", function (body) {
        localStorage.removeItem(DRAFT);
        form.hidden = true;
        previewBox.hidden = true;
        similarBox.hidden = true;
        doneBox.replaceChildren();
        doneBox.hidden = false;
        doneBox.append(el("h2", "", "Submitted"));
        doneBox.append(el("p", "", "Thank you. Your entry '" + body.title + "' is waiting for a reviewer. Its id is " + body.id + "."));
        body.warnings.forEach(function (w) { doneBox.append(el("p", "kb-warning", w)); });
        var again = el("button", "md-button", "Write another entry");
        again.type = "button";
        again.addEventListener("click", function () { doneBox.hidden = true; form.hidden = false; build({ type: typeSelect.value }); });
        doneBox.append(again);
        doneBox.focus();
        listMine();
      });
    }
  });

  // --- My submissions ----------------------------------------------------------------------
  function listMine() {
    S.api("GET", "/api/submissions").then(function (answer) {
      mineBox.replaceChildren(el("h2", "", "My submissions"));
      if (answer.status !== 200) return mineBox.append(el("p", "", "Your submissions could not be listed: " + S.message(answer)));
      if (!answer.body.length) return mineBox.append(el("p", "", "Nothing yet."));
      var table = S.table("kb-mine", ["Title", "Type", "Sent", "Where it stands"]);
      answer.body.forEach(function (s) {
        var row = el("tr");
        row.append(el("td", "", s.title), el("td", "", spec.types[s.type] || s.type), el("td", "", s.submitted_at.slice(0, 10)));
        var where = el("td");
        if (s.status === "published") where.append("Published: ", S.link(s.url, "see its page"));
        else if (s.status === "rejected") where.append("Not accepted. The reviewer's reason: " + (s.reason || ""));
        else where.append("Waiting for a reviewer");
        row.append(where);
        table.tBodies[0].append(row);
      });
      mineBox.append(table);
    });
  }

  // --- putting it together -----------------------------------------------------------------
  var typeSelect;
  function build(entry) {
    fieldsBox.replaceChildren();
    clearProblems();
    var model = modelOf(entry.type);
    var required = (model.required || []).filter(function (n) { return n !== "type"; });
    var skip = spec.server_set.concat(["type"]);
    var requiredPart = { properties: {}, required: required };
    var optionalPart = { properties: {}, required: [] };
    var names = Object.keys(model.properties);
    if (names.indexOf("title") >= 0 && names.indexOf("id") >= 0) names = ["title", "id"].concat(names.filter(function (n) { return n !== "title" && n !== "id"; }));
    names.forEach(function (name) {
      if (skip.indexOf(name) >= 0) return;
      var first = required.indexOf(name) >= 0 || spec.asked_first.indexOf(name) >= 0;
      (first ? requiredPart : optionalPart).properties[name] = model.properties[name];
    });
    fieldsBox.append(fields(requiredPart, entry, "kb-fields"));
    var more = el("h2", "", "More about it, if the source says (optional)");
    fieldsBox.append(more, el("p", "", "Everything below is optional: fill in what the source tells you and leave the rest empty."));
    fieldsBox.append(fields(optionalPart, entry, "kb-fields"));
    var title = fieldsBox.querySelector('[data-name="title"] input');
    var slug = fieldsBox.querySelector('[data-name="id"] input');
    if (title && slug) {
      slug.dataset.own = entry.id && entry.id !== slugOf(entry.title || "") ? "yes" : "";
      slug.addEventListener("input", function () { slug.dataset.own = slug.value ? "yes" : ""; });
      title.addEventListener("input", function () { if (!slug.dataset.own) slug.value = slugOf(title.value); });
    }
  }
  function slugOf(text) { return text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, ""); }

  function ready(who) {
    whoBox.hidden = false;
    whoBox.replaceChildren(el("p", "", "Signed in as " + who.name + (who.role === "reviewer" ? " (reviewer)" : "") + ". "));
    var out = el("button", "md-button kb-signout", "Sign out");
    out.type = "button";
    // On a shared computer the next person must find nothing: the draft goes with the token.
    out.addEventListener("click", function () { clearTimeout(saving); localStorage.removeItem(DRAFT); S.forget(); location.reload(); });
    whoBox.firstChild.append(out);
    S.api("GET", "/api/drafts/form").then(function (answer) {
      if (answer.status !== 200) { status.textContent = "The form could not be loaded: " + S.message(answer); return; }
      spec = answer.body;
      var entry = saved() || { type: Object.keys(spec.types)[0] };
      if (!spec.types[entry.type]) entry = { type: Object.keys(spec.types)[0] };
      typeSelect = document.getElementById("kb-contribute-type");
      typeSelect.replaceChildren();
      Object.keys(spec.types).forEach(function (t) { typeSelect.append(option(t, spec.types[t])); });
      typeSelect.value = entry.type;
      typeSelect.onchange = function () { var kept = draft(); build(kept); changed(); };
      build(entry);
      form.hidden = false;
      if (saved()) status.textContent = "Your draft from before is back, as you left it.";
      form.oninput = changed;
      form.onchange = changed;
      listMine();
      lookForSimilar();
    }, function () { status.textContent = "The knowledge base's service could not be reached."; });
  }
  S.start(signInBox, ready);
});
