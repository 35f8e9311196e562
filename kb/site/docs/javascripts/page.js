// Every page: the address in "Cite this" (when the build had no site_url), and each link's
// full address for print (shown after the link by the print stylesheet). Text only.
document$.subscribe(function () {
  var here = location.href.split("#")[0].split("?")[0];
  document.querySelectorAll(".kb-cite .kb-cite-url").forEach(function (span) {
    if (!span.textContent) span.textContent = here;
  });
  document.querySelectorAll("article a[href]").forEach(function (a) {
    var href = a.getAttribute("href");
    if (!href || href.charAt(0) === "#" || a.classList.contains("headerlink")) return;
    a.setAttribute("data-kb-href", a.href);
  });
});
