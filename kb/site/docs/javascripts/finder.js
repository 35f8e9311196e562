// The "Find case studies for your challenge" page: sends the challenge to /api/search
// (served by `kb serve`) and lists results. All text is set with textContent, never HTML.
document$.subscribe(function () {
  var form = document.getElementById("kb-finder");
  if (!form) return;
  var input = document.getElementById("kb-finder-query");
  var status = document.getElementById("kb-finder-status");
  var list = document.getElementById("kb-finder-results");
  var unavailable = "The finder needs the knowledge base's search service (run `kb serve`). Use the site search instead: press / or select the search box.";

  function show(results) {
    list.replaceChildren();
    results.forEach(function (r) {
      var item = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/" + r.url;
      a.textContent = r.title;
      var who = document.createElement("span");
      who.className = "kb-finder-org";
      who.textContent = r.organisation ? " — " + r.organisation : "";
      var why = document.createElement("p");
      why.className = "kb-finder-why";
      why.textContent = "Why it matched: " + r.match;
      item.append(a, who, why);
      list.append(item);
    });
    status.textContent = results.length ? results.length + " case studies most like your challenge." : "No case studies matched. Try other words.";
  }

  if (location.protocol === "file:") status.textContent = unavailable;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    if (!q) { status.textContent = "Type your challenge first."; return; }
    status.textContent = "Searching…";
    fetch("/api/search?" + new URLSearchParams({ q: q, k: "5" }), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || !(response.headers.get("content-type") || "").includes("application/json")) throw new Error("unavailable");
        return response.json();
      })
      .then(function (body) { show(body.results); })
      .catch(function () { list.replaceChildren(); status.textContent = unavailable; });
  });
});
