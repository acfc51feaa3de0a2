/* Search and view toggles of the preview gallery. Card pages live in iframes; they
   report their height and take the view ("dark", "phone") by message, so nothing is
   fetched and the gallery works from the file system. */
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  var entries = [].slice.call(document.querySelectorAll(".g-card"));
  var frames = [].slice.call(document.querySelectorAll(".g-frame"));
  var opens = [].slice.call(document.querySelectorAll(".g-open"));
  var search = $("g-search"), level = $("g-level"), tag = $("g-tag"), dark = $("g-dark"), phone = $("g-phone");
  var ready = [];

  function flags() {
    return [dark.checked ? "dark" : "", phone.checked ? "phone" : ""].filter(Boolean).join(",");
  }

  function frameOf(source) {
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) return frames[i];
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    var frame = frameOf(event.source);
    if (!frame || !data.adPreview) return;
    var fresh = ready.indexOf(frame) < 0;
    if (fresh) ready.push(frame);
    if (data.adPreview === "ready" || fresh) {
      frame.contentWindow.postMessage({ adFlags: flags() }, "*");
    }
    if (data.adPreview === "height" && typeof data.height === "number") {
      frame.style.height = Math.max(60, Math.ceil(data.height)) + "px";
    }
  });

  function applyView() {
    var view = flags();
    var suffix = view ? "#" + view : "";
    document.body.classList.toggle("g-dark", dark.checked);
    document.body.classList.toggle("g-phone", phone.checked);
    frames.forEach(function (frame) {
      if (ready.indexOf(frame) >= 0) frame.contentWindow.postMessage({ adFlags: view }, "*");
      else frame.src = frame.getAttribute("data-src") + suffix;
    });
    opens.forEach(function (link) { link.href = link.getAttribute("data-src") + suffix; });
    if (location.hash.replace(/^#/, "") !== view) location.replace("#" + view);
  }

  function applyFilter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wantLevel = level.value, wantTag = tag.value, shown = 0;
    entries.forEach(function (entry) {
      var text = entry.getAttribute("data-text");
      var tags = " " + entry.getAttribute("data-tags") + " ";
      var match = (!wantLevel || entry.getAttribute("data-level") === wantLevel) &&
        (!wantTag || tags.indexOf(" " + wantTag + " ") >= 0) &&
        words.every(function (word) { return text.indexOf(word) >= 0; });
      entry.hidden = !match;
      if (match) shown++;
    });
    $("g-count").textContent = shown + " of " + entries.length + " cards";
    $("g-none").hidden = shown > 0;
  }

  var initial = location.hash.toLowerCase();
  dark.checked = /\bdark\b/.test(initial);
  phone.checked = /\bphone\b/.test(initial);
  [search, level, tag].forEach(function (control) { control.addEventListener("input", applyFilter); });
  [dark, phone].forEach(function (control) { control.addEventListener("change", applyView); });
  if (dark.checked || phone.checked) applyView();
  // Pages that loaded before this script ran said "ready" to nobody: ask them again.
  frames.forEach(function (frame) {
    if (frame.contentWindow) frame.contentWindow.postMessage({ adFlags: flags() }, "*");
  });
  applyFilter();
})();
