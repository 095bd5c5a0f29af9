// cloudbill portal: the only script. On a narrow screen the menu folds behind one button;
// a table's columns sort by a click on their heading.
(function () {
  var header = document.querySelector("header");
  var button = document.getElementById("menu-toggle");
  if (header && button) {
    header.classList.add("folding");
    button.addEventListener("click", function () {
      var open = header.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A close's content hash: one click selects it whole (CSS); the button copies it.
  if (navigator.clipboard) {
    Array.prototype.forEach.call(document.querySelectorAll("code.hash"), function (code) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy";
      b.textContent = "复制";
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(code.textContent.trim()).then(function () { b.textContent = "已复制"; });
      });
      code.parentNode.insertBefore(b, code.nextSibling);
    });
  }

  // A table wider than the screen scrolls inside the page: it takes the keyboard focus,
  // so that the arrow keys scroll it.
  function focusable() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), function (t) {
      if (t.scrollWidth > t.clientWidth + 1) t.setAttribute("tabindex", "0");
      else t.removeAttribute("tabindex");
    });
  }
  focusable();
  window.addEventListener("resize", focusable);

  // Sorting: a table whose first row is all headings and that has more than two rows
  // below it, none a subtotal or total (their order is meaning) and none a
  // "nothing here" row, sorts on a click on a heading: numbers as numbers
  // (thousands separators aside), the rest in Chinese collation; again: reversed.
  var collator = new Intl.Collator("zh-CN", { numeric: true });
  function value(cell) {
    return (cell ? cell.textContent : "").trim();
  }
  function number(s) {
    var t = s.replace(/,/g, "").replace(/%$/, "");
    return /^[-+−]?\d+(\.\d+)?$/.test(t) ? parseFloat(t.replace("−", "-")) : NaN;
  }
  function compare(a, b) {
    var x = number(a), y = number(b);
    if (!isNaN(x) && !isNaN(y)) return x - y;
    if (!isNaN(x)) return -1;
    if (!isNaN(y)) return 1;
    return collator.compare(a, b);
  }
  Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
    var rows = Array.prototype.slice.call(table.rows);
    if (rows.length < 4 || table.classList.contains("nosort")) return;
    var head = rows[0];
    var ths = Array.prototype.slice.call(head.cells);
    if (ths.some(function (c) { return c.tagName !== "TH"; })) return;
    var body = rows.slice(1);
    if (body.some(function (r) { return r.classList.contains("subtotal") || r.classList.contains("total") || r.cells.length !== ths.length; })) return;
    table.classList.add("sorting");
    ths.forEach(function (th, col) {
      if (!th.textContent.trim()) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
      b.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        ths.forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var sorted = body.slice().sort(function (r1, r2) {
          var c = compare(value(r1.cells[col]), value(r2.cells[col]));
          return asc ? c : -c;
        });
        var parent = body[0].parentNode;
        sorted.forEach(function (r) { parent.appendChild(r); });
      });
    });
  });
})();
