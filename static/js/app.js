// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  var shownAt = performance.now();

  // After an htmx swap, put focus where the next action is, so keyboard and screen-reader users
  // continue from the new content rather than from the top of the page.
  function focusIn(root) {
    var target = root.querySelector("[data-focus]");
    if (target) {
      target.focus({ preventScroll: false });
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    shownAt = performance.now();
    var swapped = event.detail.target;
    var fresh = (swapped && swapped.id && document.getElementById(swapped.id)) || document;
    focusIn(fresh);
  });

  // A plain page load (JavaScript was slow to start, or a form was posted before htmx took it
  // over) puts focus in the same place a swap would.
  var panel = document.getElementById("review-card") || document.getElementById("question-panel");
  if (panel) {
    focusIn(panel);
  }

  // How long the student took: filled in just before a timed form is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("[data-timed]")) {
      var field = form.querySelector("input[name=duration_ms]");
      if (field) {
        field.value = String(Math.round(performance.now() - shownAt));
      }
    }
  }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-timed]");
    if (form) {
      event.detail.parameters.duration_ms = String(Math.round(performance.now() - shownAt));
    }
  });

  // "Wait for it": a card in learning comes back later today. Clicking waits until it enters the
  // learn-ahead window, then fetches the review card again (without JavaScript the link reloads).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-wait-seconds]");
    if (!link || !window.htmx) {
      return;
    }
    event.preventDefault();
    var seconds = parseInt(link.getAttribute("data-wait-seconds"), 10) || 1;
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    status.textContent = link.getAttribute("data-waiting");
    link.replaceWith(status);
    window.setTimeout(function () {
      window.htmx.ajax("GET", link.getAttribute("href"), {target: "#review-card", swap: "outerHTML"});
    }, seconds * 1000);
  });

  // Review keys, as in Anki: Space or Enter shows the answer, 1-4 rate, Ctrl+Z undoes.
  document.addEventListener("keydown", function (event) {
    var card = document.getElementById("review-card");
    if (!card || event.altKey || event.metaKey && !(event.key === "z" || event.key === "Z")) {
      return;
    }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      return;
    }
    var click = function (selector) {
      var el = card.querySelector(selector);
      if (el) {
        event.preventDefault();
        el.click();
      }
    };
    if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z")) {
      click("[data-key=undo]");
    } else if (event.ctrlKey) {
      return;
    } else if (event.key === " " || event.key === "Enter") {
      if (tag === "button" || (tag === "a" && event.key === "Enter")) {
        return; // the focused control handles its own activation
      }
      click("[data-key=show]");
    } else if (/^[1-4]$/.test(event.key)) {
      click("[data-key='" + event.key + "']");
    }
  });
})();

// The assignment form (courses/assignment_new.html): show only the chosen kind's settings, and
// name the assignment after the chosen lesson set until the teacher types a title of their own.
// Without this script every setting shows, and an empty title takes the set's on the server.
(function () {
  "use strict";

  var form = document.querySelector("form[data-assignment-form]");
  if (!form) {
    return;
  }
  function showKind() {
    var chosen = form.querySelector("input[name=kind]:checked");
    form.querySelectorAll("[data-kind]").forEach(function (part) {
      part.hidden = Boolean(chosen) && part.getAttribute("data-kind") !== chosen.value;
    });
  }
  var lessonSet = form.querySelector("select[name=lesson_set]");
  var title = form.querySelector("input[name=title]");
  var filled = "";  // the title this script last filled in
  function nameAfterSet() {
    if (!lessonSet || !title || (title.value !== "" && title.value !== filled)) {
      return;
    }
    var option = lessonSet.options[lessonSet.selectedIndex];
    filled = option && option.value ? option.text : "";
    title.value = filled;
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") {
      showKind();
    } else if (event.target === lessonSet) {
      nameAfterSet();
    }
  });
  showKind();
})();
