// The student's pages, progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Settings: a student who never chose a time zone gets the browser's preselected, if the
  // list offers it (the server refuses any other value). Nothing is saved until they save.
  var select = document.querySelector("select[data-browser-zone]");
  if (select && window.Intl && Intl.DateTimeFormat) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var offered = zone && Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (offered && select.value !== zone) {
      select.value = zone;
      var note = document.getElementById("browser-zone-note");
      if (note) {
        note.textContent = note.getAttribute("data-text");
        note.hidden = false;
        var described = select.getAttribute("aria-describedby");
        select.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      }
    }
  }
})();
