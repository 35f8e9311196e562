// The contribute and review pages' sign-in and API calls. An invite link carries the
// token in its fragment (#token=…), which browsers never send to the server: it is kept
// in this tab's session storage and taken out of the address bar. The token travels only
// in the Authorization header of this site's own API calls (no cookies, so no CSRF).
// Every value the pages show is set as text, never as HTML.
window.kbSession = (function () {
  var KEY = "kb-token";

  function take() {
    var found = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!found) return;
    sessionStorage.setItem(KEY, decodeURIComponent(found[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function token() { return sessionStorage.getItem(KEY) || ""; }
  function forget() { sessionStorage.removeItem(KEY); }
  function use(text) {
    // An invite link or the token itself.
    var found = /token=([^&\s]+)/.exec(text);
    sessionStorage.setItem(KEY, decodeURIComponent(found ? found[1] : text.trim()));
  }

  var root = function () {
    var config = document.getElementById("__config");
    return new URL((config ? JSON.parse(config.textContent).base : ".") + "/", location.href);
  };

  // A call to the API: resolves to {status, body} whatever the status; rejects only when
  // the service cannot be reached.
  function api(method, path, body) {
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "omit" };
    if (token()) options.headers.Authorization = "Bearer " + token();
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(new URL(path.replace(/^\//, ""), root()), options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        return { status: response.status, body: json };
      });
    });
  }

  // The words of an error answer: a string, or the first problem's message.
  function message(answer) {
    var detail = answer.body && answer.body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail.length) return detail[0].msg;
    return "the service answered " + answer.status;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    var a = el("a", "", text);
    a.href = new URL(href.replace(/^\//, ""), root()).href;
    return a;
  }

  // A table with these column headings; rows go in its tBodies[0].
  function table(className, headings) {
    var t = el("table", className);
    var head = el("tr");
    headings.forEach(function (h) { head.append(el("th", "", h)); });
    t.append(el("thead"), el("tbody"));
    t.tHead.append(head);
    return t;
  }

  // An entry's page as the site will show it (the server's escaped HTML), in a frame that
  // may run nothing and reach nothing: sandbox with no permissions. The site's own
  // stylesheets make it look as it will.
  function preview(html, title) {
    var frame = el("iframe", "kb-preview-frame");
    frame.title = title;
    frame.setAttribute("sandbox", "");
    var styles = Array.prototype.map.call(document.querySelectorAll('link[rel="stylesheet"]'), function (l) {
      return '<link rel="stylesheet" href="' + l.href.replace(/"/g, "&quot;") + '">';
    }).join("");
    frame.srcdoc = '<!doctype html><html lang="en"><head><meta charset="utf-8">' + styles +
      '</head><body><div class="md-content"><article class="md-content__inner md-typeset">' + html + "</article></div></body></html>";
    return frame;
  }

  // The sign-in box: shown when the tab holds no token, or a token the server refuses.
  function signIn(box, why, done) {
    box.replaceChildren();
    box.hidden = false;
    box.append(el("h2", "", "Sign in"));
    box.append(el("p", "", why || "Open the invite link your curator sent you, or paste it here. It is kept in this tab only, until you close it."));
    var form = el("form", "kb-form kb-signin");
    var id = "kb-signin-token";
    var label = el("label", "", "Invite link or token");
    label.htmlFor = id;
    var input = el("input");
    input.id = id;
    input.type = "password";
    input.autocomplete = "off";
    input.required = true;
    var button = el("button", "md-button md-button--primary", "Sign in");
    button.type = "submit";
    form.append(label, input, button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      use(input.value);
      box.hidden = true;
      done();
    });
    box.append(form);
  }

  // Who is signed in (GET /api/me), or the sign-in box. Calls ready({name, role}).
  function start(box, ready) {
    take();
    function check() {
      if (!token()) return signIn(box, null, check);
      api("GET", "/api/me").then(function (answer) {
        if (answer.status === 200) return ready(answer.body);
        forget();
        signIn(box, answer.status === 401 ? "That token is not valid, or has been revoked. Ask your curator for a new invite link." : "Signing in failed: " + message(answer), check);
      }, function () {
        signIn(box, "The knowledge base's service could not be reached. These pages work only when the site is served by `kb serve`.", check);
      });
    }
    check();
  }

  return { token: token, forget: forget, api: api, message: message, el: el, link: link, table: table, preview: preview, start: start, root: root };
})();
