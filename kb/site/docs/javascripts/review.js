// The review page, for reviewers' tokens: the pending submissions, each with its preview,
// the sources it cites, a diff against the entry it is most like, and "Approve" or
// "Reject" (with a reason the contributor reads). Approving publishes it: the page then
// watches for the entry's page to go live and says when it has.
document$.subscribe(function () {
  var page = document.getElementById("kb-review");
  if (!page) return;
  var S = window.kbSession, el = S.el;
  var listBox = document.getElementById("kb-review-list");
  var detailBox = document.getElementById("kb-review-detail");
  var status = document.getElementById("kb-review-status");
  var whoBox = document.getElementById("kb-review-who");

  function age(iso) {
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    if (minutes < 60) return minutes <= 1 ? "just now" : minutes + " minutes ago";
    var hours = Math.round(minutes / 60);
    if (hours < 48) return hours + (hours === 1 ? " hour ago" : " hours ago");
    return Math.round(hours / 24) + " days ago";
  }

  function list() {
    S.api("GET", "/api/submissions").then(function (answer) {
      listBox.replaceChildren(el("h2", "", "Waiting for review"));
      if (answer.status !== 200) return listBox.append(el("p", "", "The submissions could not be listed: " + S.message(answer)));
      if (!answer.body.length) return listBox.append(el("p", "", "Nothing is waiting. New submissions appear here."));
      var table = S.table("kb-pending", ["Title", "Type", "From", "Sent", "Warnings"]);
      answer.body.forEach(function (s) {
        var row = el("tr");
        var open = el("button", "kb-link-button", s.title);
        open.type = "button";
        open.addEventListener("click", function () { show(s.id); });
        var first = el("td");
        first.append(open);
        var sent = el("td", "", age(s.submitted_at));
        sent.title = s.submitted_at;
        row.append(first, el("td", "", s.type.replace(/-/g, " ")), el("td", "", s.submitted_by), sent,
          el("td", "", s.warnings.length ? s.warnings.length + " similar " + (s.warnings.length === 1 ? "entry" : "entries") : "None"));
        table.tBodies[0].append(row);
      });
      listBox.append(table);
    }, function () { status.textContent = "The knowledge base's service could not be reached."; });
  }

  function show(id) {
    S.api("GET", "/api/submissions/" + encodeURIComponent(id)).then(function (answer) {
      detailBox.replaceChildren();
      detailBox.hidden = false;
      if (answer.status !== 200) { detailBox.append(el("p", "", S.message(answer))); return; }
      var s = answer.body;
      detailBox.append(el("h2", "", s.title));
      detailBox.append(el("p", "", s.type.replace(/-/g, " ") + " from " + s.submitted_by + ", sent " + age(s.submitted_at) + "."));
      s.warnings.forEach(function (w) { detailBox.append(el("p", "kb-warning", w)); });
      detailBox.append(el("h3", "", "Its sources"));
      var sources = el("ul");
      s.sources.forEach(function (c) { sources.append(el("li", "", (c.title || c.document) + ": " + c.where)); });
      detailBox.append(sources);
      if (s.preview) {
        detailBox.append(el("h3", "", "As it will look"));
        detailBox.append(S.preview(s.preview, "Preview of the submission"));
      }
      if (s.diff) {
        detailBox.append(el("h3", "", "Changes from " + s.similar_entry));
        detailBox.append(el("pre", "kb-diff", s.diff));
      }
      var raw = el("details");
      raw.append(el("summary", "", "The entry as it will be written (YAML)"), el("pre", "", s.text));
      detailBox.append(raw);
      detailBox.append(decide(s));
      detailBox.querySelector("h2").tabIndex = -1;
      detailBox.querySelector("h2").focus();
    });
  }

  function decide(s) {
    var box = el("form", "kb-form kb-decide");
    var reasonId = "kb-review-reason", errorId = "kb-review-reason-error";
    var label = el("label", "", "Reason");
    label.htmlFor = reasonId;
    var hint = el("p", "kb-hint", "Needed to reject: the contributor reads it, so say what would make it acceptable.");
    hint.id = "kb-review-reason-hint";
    var error = el("p", "kb-error");
    error.id = errorId;
    error.hidden = true;
    var reason = el("textarea");
    reason.id = reasonId;
    reason.rows = 3;
    reason.maxLength = 2000;
    reason.setAttribute("aria-describedby", hint.id + " " + errorId);
    var approve = el("button", "md-button md-button--primary", "Approve");
    approve.type = "submit";
    approve.value = "approve";
    var reject = el("button", "md-button", "Reject");
    reject.type = "submit";
    reject.value = "reject";
    var outcome = el("div", "kb-outcome");
    outcome.setAttribute("role", "status");
    box.append(el("h3", "", "Your decision"), label, hint, error, reason, el("div", "kb-buttons"), outcome);
    box.querySelector(".kb-buttons").append(approve, reject);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      reason.removeAttribute("aria-invalid");
      if (event.submitter && event.submitter.value === "reject") {
        if (!reason.value.trim()) {
          error.textContent = "Give the contributor a reason.";
          error.hidden = false;
          reason.setAttribute("aria-invalid", "true");
          reason.focus();
          return;
        }
        S.api("POST", "/api/submissions/" + encodeURIComponent(s.id) + "/reject", { reason: reason.value.trim() }).then(function (answer) {
          outcome.textContent = answer.status === 200 ? "Rejected. " + s.submitted_by + " will see your reason." : "Not rejected: " + S.message(answer);
          if (answer.status === 200) { approve.disabled = reject.disabled = true; list(); }
        });
        return;
      }
      approve.disabled = reject.disabled = true;
      outcome.textContent = "Publishing…";
      var started = Date.now();
      S.api("POST", "/api/submissions/" + encodeURIComponent(s.id) + "/approve").then(function (answer) {
        if (answer.status !== 200) {
          approve.disabled = reject.disabled = false;
          outcome.textContent = "Not approved: " + S.message(answer);
          return;
        }
        outcome.replaceChildren("Approved. " + answer.body.message + " Its page will be live within seconds.");
        list();
        waitUntilLive(answer.body.url, started, outcome);
      });
    });
    return box;
  }

  // Ask for the new page until the site serves it (the publisher rebuilds in seconds).
  function waitUntilLive(url, started, outcome) {
    var address = new URL(url, S.root()).href;
    function poll() {
      fetch(address, { method: "HEAD", cache: "no-store", credentials: "omit" }).then(function (response) {
        if (response.ok) {
          outcome.replaceChildren("Live after " + Math.round((Date.now() - started) / 1000) + " s: ", S.link(url, "open its page"), ".");
        } else if (Date.now() - started < 120000) setTimeout(poll, 1000);
        else outcome.append(" It is not live after two minutes: check the server's log (pending problems show in /api/health).");
      }, function () { setTimeout(poll, 2000); });
    }
    poll();
  }

  function ready(who) {
    whoBox.hidden = false;
    whoBox.replaceChildren(el("p", "", "Signed in as " + who.name + " (" + who.role + "). "));
    var out = el("button", "md-button kb-signout", "Sign out");
    out.type = "button";
    out.addEventListener("click", function () { S.forget(); location.reload(); });
    whoBox.firstChild.append(out);
    if (who.role !== "reviewer") {
      status.textContent = "This token is a contributor's: reviewing needs a reviewer's token. Ask your curator for one, or use the contribute page.";
      return;
    }
    list();
  }
  S.start(document.getElementById("kb-review-signin"), ready);
});
