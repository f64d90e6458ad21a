// The disclosure menus of the top navigation (<details class="menu">, the Ops menu):
// Escape closes an open menu and gives the focus back to its button (the <summary>), as
// the WAI-ARIA disclosure pattern asks, so a keyboard user is not left inside a menu
// they cannot see out of. Without JavaScript the menu still opens and closes with its
// button (Enter or Space).
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) { return; }
    var open = Array.prototype.slice.call(document.querySelectorAll("details.menu[open]"));
    if (!open.length) { return; }
    var active = document.activeElement;
    var holding = open.filter(function (menu) { return menu.contains(active); })[0];
    open.forEach(function (menu) { menu.open = false; });
    var back = holding || (active === document.body || !active ? open[0] : null);
    if (back) { back.querySelector("summary").focus(); }
    event.preventDefault();
  });
})();
