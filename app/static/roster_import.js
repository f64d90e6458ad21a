// Roster import progress: poll the job's status; reload the page once it is done.
(function () {
  var box = document.getElementById("import-progress");
  if (!box || box.hidden) return;
  var bar = document.getElementById("import-bar");
  var phase = document.getElementById("import-phase");
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        phase.textContent = s.phase + ": " + s.percent + "%";
        if (s.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
