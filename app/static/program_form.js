// The program form, progressively enhanced: the "due by the end of" lists name the
// terms as their titles are typed (without JavaScript they do after "add another row"
// or a save that asks for a correction).
(function () {
  "use strict";
  var form = document.getElementById("program-form");
  if (!form) return;
  function rename() {
    var titles = {};
    form.querySelectorAll("input[id^='term-'][id$='-title']").forEach(function (input) {
      var row = input.id.split("-")[1];
      titles[row] = input.value.trim();
    });
    form.querySelectorAll("select[id^='module-'][id$='-due'] option").forEach(function (option) {
      if (!option.value) return;
      if (!option.dataset.fallback) option.dataset.fallback = option.textContent;
      option.textContent = titles[option.value] || option.dataset.fallback;
    });
  }
  form.addEventListener("input", function (event) {
    if (event.target.id && /^term-\d+-title$/.test(event.target.id)) rename();
  });
})();
