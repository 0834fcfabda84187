// Quiz pages: progressive enhancement only; every page works without this file.
(function () {
  "use strict";

  // An answer that cannot be graded (an ordering with a place used twice, an empty cloze)
  // comes back as 422 with the form and its errors, as it does without JavaScript. htmx does
  // not swap 4xx responses by default; this one is the page to show. Other errors (403, 404,
  // 500) are still not swapped.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The countdown of a timed attempt. The page states the end time; this shows the time left,
  // counted from what the server said was left when it drew the page (not from this device's
  // clock, which may be wrong). At zero it reloads the attempt: the server, whose deadline is
  // the only one that counts, submits it and shows the results.
  var countdowns = [];

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function format(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }

  function tick() {
    var now = performance.now();
    countdowns.forEach(function (c) {
      var left = c.endsAt - now;
      c.output.textContent = " (" + c.label + " " + format(left) + ")";
      c.output.classList.toggle("urgent", left <= 60000);
      if (left <= 0 && !c.done) {
        c.done = true;
        window.location.assign(window.location.pathname);
      }
    });
  }

  function startCountdowns(root) {
    countdowns = [];
    root.querySelectorAll("[data-countdown]").forEach(function (el) {
      var remaining = parseInt(el.getAttribute("data-remaining-ms"), 10);
      var output = el.querySelector(".countdown");
      if (isNaN(remaining) || !output) {
        return;
      }
      output.hidden = false;
      countdowns.push({
        endsAt: performance.now() + remaining,
        output: output,
        label: el.getAttribute("data-label") || "time left",
        done: false,
      });
    });
    tick();
  }

  // Pages other than the question panel (whose focus app.js handles): the summary's
  // confirmation step puts focus on its question.
  function focusOutsideThePanel() {
    if (!document.getElementById("question-panel")) {
      var target = document.querySelector("main [data-focus]");
      if (target) {
        target.focus();
      }
    }
  }

  function settle() {
    focusOutsideThePanel();
    startCountdowns(document);
  }

  settle();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSettle", settle);
})();
