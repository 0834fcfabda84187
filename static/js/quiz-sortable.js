// Drag and drop for ordering and matching questions, on top of their selects: the selects stay
// in the form (hidden) and carry the answer, so the page works the same without this file.
// Keyboard: every row has Up and Down buttons; each move is announced.
(function () {
  "use strict";

  function text(el) {
    return (el.textContent || "").replace(/\s+/g, " ").trim();
  }

  function format(template, values) {
    var i = 0;
    return template.replace(/%[sd]/g, function () {
      return String(values[i++]);
    });
  }

  function enhance(form) {
    var host = form.querySelector(".sortable-host");
    if (!host || host.getAttribute("data-ready")) {
      return;
    }
    var kind = form.getAttribute("data-sortable");
    var fields = Array.prototype.slice.call(form.querySelectorAll("p.field[data-field]"));
    var selects = fields.map(function (p) { return p.querySelector("select"); });
    if (!selects.length || selects.some(function (s) { return !s; })) {
      return;
    }
    var labels = fields.map(function (p) {
      return text(p.querySelector("label")).replace(/:$/, ""); // Django's label suffix
    });
    var items; // what moves: {value, label}
    var current; // for matching, the selected option values; for ordering, the places
    if (kind === "ordering") {
      items = selects.map(function (select, i) { return { index: i, label: labels[i] }; });
      current = selects.map(function (s) { return parseInt(s.value, 10); });
      if (isPermutation(current, 1)) {
        items.sort(function (a, b) { return current[a.index] - current[b.index]; });
      }
    } else {
      items = Array.prototype.slice.call(selects[0].options)
        .filter(function (o) { return o.value !== ""; })
        .map(function (o) { return { value: o.value, label: text(o) }; });
      current = selects.map(function (s) { return s.value; });
      if (isPermutation(current.map(Number), 0) && current.every(function (v) { return v !== ""; })) {
        items = current.map(function (v) {
          return items.filter(function (item) { return item.value === v; })[0];
        });
      }
    }
    if (items.length !== selects.length) {
      return; // not a one-to-one question: the selects stay
    }

    host.setAttribute("data-ready", "1");
    var help = document.createElement("p");
    help.className = "meta";
    help.id = form.id ? form.id + "-sortable-help" : "sortable-help";
    help.textContent = host.getAttribute("data-help");
    var list = document.createElement("ol");
    list.className = "sortable " + kind;
    list.setAttribute("aria-describedby", help.id);
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    host.appendChild(help);
    host.appendChild(list);
    host.appendChild(status);
    // The page put focus on the first select (app.js); it goes to the first button instead.
    var hadFocus = selects.indexOf(document.activeElement) >= 0;
    fields.forEach(function (p) { p.hidden = true; });

    function write() {
      items.forEach(function (item, place) {
        if (kind === "ordering") {
          selects[item.index].value = String(place + 1);
        } else {
          selects[place].value = item.value;
        }
      });
    }

    function move(from, to, focusDirection) {
      if (to < 0 || to >= items.length || to === from) {
        return;
      }
      var item = items.splice(from, 1)[0];
      items.splice(to, 0, item);
      render();
      write();
      status.textContent = format(host.getAttribute("data-moved"), [item.label, to + 1, items.length]);
      if (focusDirection) {
        var row = list.children[to];
        var button = row.querySelector("[data-move=" + focusDirection + "]");
        (button && !button.disabled ? button : row.querySelector("button:not([disabled])")).focus();
      }
    }

    function render() {
      list.textContent = "";
      items.forEach(function (item, place) {
        var row = document.createElement("li");
        row.className = "sortable-row";
        if (kind === "matching") {
          var left = document.createElement("span");
          left.className = "left";
          left.textContent = labels[place];
          row.appendChild(left);
        }
        var handle = document.createElement("span");
        handle.className = "item";
        handle.setAttribute("data-drag", String(place));
        handle.textContent = item.label;
        row.appendChild(handle);
        [["up", -1], ["down", 1]].forEach(function (pair) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "move";
          button.setAttribute("data-move", pair[0]);
          button.setAttribute("aria-label", format(host.getAttribute("data-" + pair[0]), [item.label]));
          button.textContent = pair[1] < 0 ? "↑" : "↓";
          button.disabled = place + pair[1] < 0 || place + pair[1] >= items.length;
          button.addEventListener("click", function () { move(place, place + pair[1], pair[0]); });
          row.appendChild(button);
        });
        list.appendChild(row);
      });
    }

    // Pointer dragging (mouse, pen and touch): the item follows the pointer between rows.
    var dragging = null;
    list.addEventListener("pointerdown", function (event) {
      var handle = event.target.closest && event.target.closest("[data-drag]");
      if (!handle) {
        return;
      }
      event.preventDefault();
      dragging = { from: parseInt(handle.getAttribute("data-drag"), 10) };
      list.classList.add("dragging");
      handle.parentNode.classList.add("lifted");
      if (list.setPointerCapture) {
        list.setPointerCapture(event.pointerId);
      }
    });
    list.addEventListener("pointermove", function (event) {
      if (!dragging) {
        return;
      }
      var rows = list.children;
      for (var i = 0; i < rows.length; i++) {
        var box = rows[i].getBoundingClientRect();
        if (event.clientY >= box.top && event.clientY <= box.bottom && i !== dragging.from) {
          move(dragging.from, i, null);
          dragging.from = i;
          list.children[i].classList.add("lifted");
          break;
        }
      }
    });
    function drop() {
      if (dragging) {
        dragging = null;
        list.classList.remove("dragging");
        Array.prototype.forEach.call(list.children, function (row) { row.classList.remove("lifted"); });
      }
    }
    list.addEventListener("pointerup", drop);
    list.addEventListener("pointercancel", drop);

    render();
    write();
    if (hadFocus) {
      list.querySelector("button:not([disabled])").focus();
    }
  }

  function isPermutation(values, start) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted.every(function (v, i) { return v === i + start; });
  }

  function enhanceAll() {
    document.querySelectorAll("form[data-sortable]").forEach(enhance);
  }

  enhanceAll();
  document.addEventListener("htmx:afterSettle", enhanceAll);
})();
