// Polls an import's status and moves its progress bar; reloads the page when the job ends.
(function () {
  var bar = document.querySelector("[data-import-status]");
  if (!bar) { return; }
  var url = bar.getAttribute("data-import-status");
  var label = document.getElementById("import-progress-label");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.fraction;
        if (label) { label.textContent = Math.round(s.fraction * 100) + "% · " + s.rows_read + " rows read"; }
        if (s.done) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
