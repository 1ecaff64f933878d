/**
 * The landing page's only inline script (allowed by its SHA-256 in the page's CSP, so it must stay
 * a constant: per-page values travel in the JSON block `#explorer-config`, which is data, not code).
 *
 * It loads Apollo's embeddable Sandbox from Apollo's CDN, as Apollo Server's default landing page
 * does. If that script fails to load (onerror: offline, DNS, blocked) or has not arrived within
 * `sandbox.timeoutMs` (a CDN that hangs), it mounts the GraphiQL bundle this service serves
 * itself; a Sandbox script that arrives after that is ignored. `?explorer=graphiql` skips Sandbox.
 * Plain ES2017 for any browser; exercised end to end by test/integration/explorer.browser.test.ts.
 */
export const BOOTSTRAP_SCRIPT = `
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("explorer-config").textContent);
  var target = document.getElementById("explorer");
  var status = document.getElementById("explorer-status");
  var endpoint = new URL(config.endpointPath, location.href).href;
  var origins = document.querySelectorAll("[data-origin]");
  for (var i = 0; i < origins.length; i++) origins[i].textContent = location.origin;

  var chosen = false;
  var timer;
  function say(message, link) {
    status.textContent = message + " ";
    if (!link) return;
    var a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    status.appendChild(a);
  }
  function choose(explorer, message, link) {
    if (chosen) return false;
    chosen = true;
    clearTimeout(timer);
    document.body.setAttribute("data-explorer", explorer);
    say(message, link);
    return true;
  }
  function graphiql(reason, link) {
    if (!choose("graphiql", reason + "; showing GraphiQL, bundled with this service.", link)) return;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = config.graphiql.css;
    document.head.appendChild(css);
    var js = document.createElement("script");
    js.src = config.graphiql.js;
    js.onload = function () {
      var root = document.createElement("div");
      root.className = "graphiql-root";
      target.appendChild(root);
      window.portraitExplorer.mount(root, { endpoint: endpoint, document: config.document, headers: config.headers });
    };
    js.onerror = function () {
      document.body.setAttribute("data-explorer", "none");
      say("Neither Apollo Sandbox nor the bundled GraphiQL (" + config.graphiql.js + ") could be loaded; curl works as above.");
    };
    document.head.appendChild(js);
  }

  if (new URLSearchParams(location.search).get("explorer") === "graphiql") {
    return graphiql("Apollo Sandbox skipped (?explorer=graphiql)", { href: config.endpointPath, text: "Try Apollo Sandbox" });
  }
  timer = setTimeout(function () {
    graphiql("Apollo Sandbox did not load from Apollo's CDN within " + config.sandbox.timeoutMs + " ms");
  }, config.sandbox.timeoutMs);
  var sandbox = document.createElement("script");
  sandbox.src = config.sandbox.script;
  sandbox.onerror = function () {
    graphiql("Apollo Sandbox could not be loaded from Apollo's CDN (offline?)");
  };
  sandbox.onload = function () {
    if (chosen) return;
    try {
      new window.EmbeddedSandbox({
        target: target,
        initialEndpoint: endpoint,
        initialState: { document: config.document, headers: config.headers, includeCookies: false },
        endpointIsEditable: false,
        hideCookieToggle: false,
        runTelemetry: true
      });
    } catch (error) {
      return graphiql("Apollo Sandbox failed to start (" + error + ")");
    }
    choose("sandbox", "Apollo Sandbox, loaded from Apollo's CDN.", { href: "?explorer=graphiql", text: "Use the bundled GraphiQL" });
  };
  document.head.appendChild(sandbox);
})();
`;
