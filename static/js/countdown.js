// Live countdown for elements with data-deadline (ISO 8601). The server renders the initial text, so the page
// reads correctly without JavaScript; this only keeps it current.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function render(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    if (isNaN(deadline)) { return; }
    var diff = Math.round((deadline - Date.now()) / 1000);
    var late = diff < 0;
    var s = Math.abs(diff);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = h + " h " + pad(m) + " min " + pad(sec) + " s";
    el.textContent = late ? "overdue by " + text : text + " left";
    el.classList.toggle("bad", late);
    el.classList.toggle("warn", !late && diff < 4 * 3600);
  }
  function tick() {
    var els = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < els.length; i++) { render(els[i]); }
  }
  tick();
  setInterval(tick, 1000);
})();
