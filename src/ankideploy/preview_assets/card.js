/* A card side as Anki shows it. The host classes follow the URL fragment (or a message
   from the gallery): "phone" puts AnkiDroid's "mobile android" on <html>, "dark" adds
   "nightMode night_mode" to <body>. The page tells the gallery its height. */
(function () {
  "use strict";
  var root = document.documentElement;
  var body = document.body;
  var base = body.className;

  function adHeight() {
    return Math.ceil(root.getBoundingClientRect().height);
  }

  function report() {
    if (window.parent !== window) {
      window.parent.postMessage({ adPreview: "height", height: adHeight() }, "*");
    }
  }

  function adApply(flags) {
    var list = String(flags || "").toLowerCase().split(/[^a-z]+/);
    var dark = list.indexOf("dark") >= 0;
    var phone = list.indexOf("phone") >= 0;
    root.className = phone ? "mobile android" : "";
    body.className = base + (dark ? (phone ? " night_mode nightMode" : " nightMode night_mode") : "");
    report();
  }

  window.adApply = adApply;
  window.adHeight = adHeight;
  window.addEventListener("hashchange", function () { adApply(location.hash); });
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source === window.parent && data && typeof data.adFlags === "string") {
      adApply(data.adFlags);
    }
  });
  window.addEventListener("load", report);
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(root);
  }
  adApply(location.hash);
  if (window.parent !== window) {
    window.parent.postMessage({ adPreview: "ready" }, "*");
  }
})();
