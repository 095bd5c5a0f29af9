// cloudbill portal: the only script. On a narrow screen the menu folds behind one button.
(function () {
  var header = document.querySelector("header");
  var button = document.getElementById("menu-toggle");
  if (!header || !button) return;
  header.classList.add("folding");
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
