// The static export's search: reads search-index.json and lists the matches. Only used by an
// exported copy; the server's pages search on the server and need no script.
"use strict";
(function () {
  var results = document.getElementById("results");
  var count = document.getElementById("count");
  if (!results || !count || !document.body.hasAttribute("data-search")) { return; }
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim().toLowerCase();
  var box = document.getElementById("q");
  if (box) { box.value = params.get("q") || ""; }
  var words = query.split(/\s+/).filter(Boolean);
  fetch(document.body.getAttribute("data-search")).then(function (r) { return r.json(); })
    .then(function (index) {
      var found = index.filter(function (p) {
        var hay = (p.t + " " + p.s + " " + p.d.join(" ") + " " + p.k).toLowerCase();
        return words.every(function (w) { return hay.indexOf(w) !== -1; });
      });
      results.textContent = "";
      var list = document.createElement("ol");
      list.className = "results";
      found.slice(0, 200).forEach(function (p) {
        var item = document.createElement("li");
        var heading = document.createElement("h2");
        var link = document.createElement("a");
        link.href = p.u; link.textContent = p.t;
        heading.appendChild(link);
        var summary = document.createElement("p");
        summary.textContent = p.s;
        item.appendChild(heading); item.appendChild(summary);
        list.appendChild(item);
      });
      results.appendChild(list);
      count.textContent = String(found.length) + " / " + String(index.length);
    });
})();
