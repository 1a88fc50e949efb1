// "Being prepared" pages: while a worker renders a file, check every few seconds whether it is ready and reload
// the page once it is (or once it failed, so the page can say so). The check is a HEAD request to the element's
// data-poll-url, which answers 202 while the file is being prepared. Nothing on the page moves while it waits,
// unlike a timed <meta refresh> (which screen readers announce on every reload); without JavaScript the page's
// Refresh link does the same by hand.
(function () {
  "use strict";
  var el = document.querySelector("[data-poll-url]");
  if (!el || !window.fetch) { return; }
  var url = el.getAttribute("data-poll-url");
  var seconds = parseInt(el.getAttribute("data-poll-seconds") || "3", 10);
  var tries = 0;
  function check() {
    tries += 1;
    fetch(url, { method: "HEAD", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 202) {
          // Back off gently on a long render: every 3 s for a minute, then every 10 s.
          window.setTimeout(check, (tries > 20 ? 10 : seconds) * 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(check, 10000); });
  }
  window.setTimeout(check, seconds * 1000);
})();
