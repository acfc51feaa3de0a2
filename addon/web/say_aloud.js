/* Say it aloud: timer and buttons of the panel on the question side.
   Anki desktop keeps one page for the whole review session and only swaps the
   card's HTML, and this file can be evaluated again on the same page; so no
   top-level const/let, one global (window.sayAloud), and mount() is safe to call
   any number of times. */
(function () {
  "use strict";

  // A previous copy on this page may still own a running timer.
  if (window.sayAloud && typeof window.sayAloud.stop === "function") {
    window.sayAloud.stop();
  }

  var timerId = null;

  function stop() {
    if (timerId !== null) {
      clearInterval(timerId);
      timerId = null;
    }
  }

  function format(seconds) {
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  // Wall-clock based, so a busy page does not make the countdown drift.
  function startTimer(panel) {
    var label = panel.querySelector(".sa-timer");
    var total = parseInt(panel.getAttribute("data-seconds"), 10) || 0;
    if (!label || total <= 0) {
      return;
    }
    var started = Date.now();
    function tick() {
      if (!panel.isConnected) {
        stop(); // the card was replaced (answer shown, next card)
        return;
      }
      var left = Math.max(0, total - Math.floor((Date.now() - started) / 1000));
      label.textContent = format(left);
      if (left === 0) {
        label.classList.add("sa-over");
        stop();
      }
    }
    tick();
    timerId = setInterval(tick, 250);
  }

  // A step is marked (and unmarked) with a click: "I have said it".
  function toggleStep(item) {
    var done = item.getAttribute("aria-pressed") !== "true";
    item.setAttribute("aria-pressed", done ? "true" : "false");
    item.classList.toggle("sa-done", done);
  }

  function onClick(event) {
    var item = event.target.closest(".sa-item");
    if (item) {
      event.preventDefault();
      toggleStep(item);
      return;
    }
    var button = event.target.closest("[data-sayaloud-cmd]");
    if (!button) {
      return;
    }
    event.preventDefault();
    // Give the keyboard back to Anki: a focused button would eat Space/Enter.
    button.blur();
    if (typeof pycmd === "function") {
      pycmd("sayaloud:" + button.getAttribute("data-sayaloud-cmd"));
    }
  }

  function mount() {
    stop();
    var panel = document.getElementById("sayaloud-panel");
    if (!panel) {
      return;
    }
    // Each card brings a fresh panel element, but guard anyway so a second
    // mount() for the same card never binds the click handler twice.
    if (panel.getAttribute("data-sayaloud-bound") !== "1") {
      panel.setAttribute("data-sayaloud-bound", "1");
      panel.addEventListener("click", onClick);
    }
    startTimer(panel);
  }

  window.sayAloud = { mount: mount, stop: stop };
  // The card may already be on the page if this file was evaluated late.
  mount();
})();
