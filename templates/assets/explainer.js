/* explainer: progressive enhancement. Every link works without this file; with it, an article's
   passages open their annotations in place, and side-by-side pages scroll to the counterpart. */
(function () {
  "use strict";

  var popupCount = 0;

  function closePopup(link, returnFocus) {
    var popup = document.getElementById(link.getAttribute("aria-controls"));
    if (popup) { popup.parentNode.removeChild(popup); }
    link.setAttribute("aria-expanded", "false");
    link.closest("mark").classList.remove("open");
    highlightMarginNotes(link, false);
    if (returnFocus) { link.focus(); }
  }

  function openPopup(link) {
    var mark = link.closest("mark");
    var ids = (mark.getAttribute("data-annotations") || "").split(" ");
    var popup = document.createElement("span");
    popupCount += 1;
    popup.id = "popup-" + popupCount;
    popup.className = "annotation-popup";
    popup.setAttribute("role", "region");
    popup.setAttribute("aria-label", "Annotation of this passage");
    ids.forEach(function (id) {
      var source = document.getElementById("ann-" + id);
      if (!source) { return; }
      var copy = source.cloneNode(true);
      copy.removeAttribute("id");
      copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
      copy.className = "annotation annotation-copy";
      // The copy sits inside the text: its headings become plain lines so the page outline stays whole.
      copy.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach(function (heading) {
        var line = document.createElement("span");
        line.className = "popup-heading";
        while (heading.firstChild) { line.appendChild(heading.firstChild); }
        heading.parentNode.replaceChild(line, heading);
      });
      popup.appendChild(copy);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "popup-close";
    close.textContent = "Close";
    close.addEventListener("click", function () { closePopup(link, true); });
    popup.appendChild(close);
    popup.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closePopup(link, true); }
    });
    mark.parentNode.insertBefore(popup, mark.nextSibling);
    link.setAttribute("aria-controls", popup.id);
    link.setAttribute("aria-expanded", "true");
    mark.classList.add("open");
    highlightMarginNotes(link, true);
  }

  function highlightMarginNotes(link, on) {
    var ids = (link.closest("mark").getAttribute("data-annotations") || "").split(" ");
    ids.forEach(function (id) {
      var note = document.getElementById("ann-" + id);
      if (note) { note.classList.toggle("active", on); }
    });
  }

  function enhanceArticle(text) {
    text.querySelectorAll("mark.passage > a").forEach(function (link) {
      link.setAttribute("aria-expanded", "false");
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (link.getAttribute("aria-expanded") === "true") { closePopup(link, false); } else { openPopup(link); }
      });
      link.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && link.getAttribute("aria-expanded") === "true") {
          event.preventDefault();
          closePopup(link, true);
        } else if (event.key === " ") {
          event.preventDefault();
          link.click();
        }
      });
    });
    alignMarginNotes();
    window.addEventListener("resize", alignMarginNotes);
  }

  /* On wide screens, each margin note starts level with its passage (or just below the one above). */
  function alignMarginNotes() {
    var notes = document.querySelectorAll(".margin-notes > .annotation");
    var wide = window.matchMedia("(min-width: 75rem)").matches;
    var bottom = 0;
    notes.forEach(function (note) {
      note.style.marginTop = "";
      if (!wide) { return; }
      var first = document.getElementById("p-" + note.getAttribute("data-first-passage"));
      if (!first) { return; }
      var column = note.parentNode.getBoundingClientRect().top + window.scrollY;
      var want = first.getBoundingClientRect().top + window.scrollY - column;
      var gap = Math.max(0, want - bottom);
      note.style.marginTop = gap + "px";
      bottom += gap + note.getBoundingClientRect().height;
    });
  }

  function enhanceCompare(columns) {
    columns.querySelectorAll("mark.passage > a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var id = link.getAttribute("href").slice(1);
        var target = document.getElementById(id);
        if (!target) { return; }
        event.preventDefault();
        var mark = target.tagName === "MARK" ? target : target.closest("mark");
        document.querySelectorAll("mark.active").forEach(function (m) { m.classList.remove("active"); });
        mark.classList.add("active");
        link.closest("mark").classList.add("active");
        if (history.replaceState) { history.replaceState(null, "", "#" + id); }
        mark.scrollIntoView({ block: "center", behavior: "smooth" });
        var counterpartLink = mark.querySelector("a");
        if (counterpartLink) { counterpartLink.focus({ preventScroll: true }); }
      });
    });
  }

  function start() {
    document.documentElement.classList.add("js");
    var text = document.querySelector(".source #article-text");
    if (text) { enhanceArticle(text); }
    var columns = document.querySelector(".columns");
    if (columns) { enhanceCompare(columns); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
