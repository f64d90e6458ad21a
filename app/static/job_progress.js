// A long job's progress bar: polls its status (JSON: done, fraction 0..1 or null, message),
// moves the bar and its text without reloading, and reloads once the job has ended so the
// page shows the result. The page renders the current state itself, so a refresh keeps it.
(function () {
  var boxes = document.querySelectorAll("[data-job-status]");
  Array.prototype.forEach.call(boxes, function (box) {
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-job-message]");
    function poll() {
      fetch(box.getAttribute("data-job-status"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          // gone (the job ended and was forgotten): reload and let the page say what happened
          if (r.status === 404) { return { done: true }; }
          return r.json();
        })
        .then(function (s) {
          if (bar) {
            if (s.fraction === null || s.fraction === undefined) { bar.removeAttribute("value"); }
            else { bar.value = s.fraction; bar.textContent = Math.round(s.fraction * 100) + "%"; }
          }
          if (text && s.message) { text.textContent = s.message; }
          if (s.done) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  });
})();
