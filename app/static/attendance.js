// The attendance page: "Select all" / "Clear all" tick or clear the boxes shown (those
// the search leaves visible) without a reload, the search box filters the names as one
// types, and the count of those marked follows. Without JavaScript the same links and
// the search form ask the server (nothing is saved until "Save attendance").
(function () {
  var form = document.getElementById("attendance");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=present]"));
  var count = form.querySelector("[data-attendance-count]");
  var none = form.querySelector("[data-attendance-none]");
  var filter = document.querySelector("[data-attendance-filter]");
  function item(box) { return box.closest("li"); }
  function update() {
    count.textContent = boxes.filter(function (b) { return b.checked; }).length;
  }
  form.querySelectorAll("[data-attendance-select]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var on = link.getAttribute("data-attendance-select") === "all";
      boxes.forEach(function (b) { if (!item(b).hidden) { b.checked = on; } });
      update();
    });
  });
  form.addEventListener("change", update);
  if (filter) {
    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      var shown = 0;
      boxes.forEach(function (b) {
        var li = item(b);
        li.hidden = needle !== "" && li.getAttribute("data-attendance-name").indexOf(needle) === -1;
        if (!li.hidden) { shown += 1; }
      });
      if (none) { none.hidden = shown !== 0; }
    });
  }
  update();
})();
