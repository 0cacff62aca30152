/* explainer: the search page. Runs the query in ?q= over Pagefind's index (pagefind/, made by the
   build) and lists what it finds. Opened from disk, where browsers refuse to load the index, or
   when the index cannot load, the page says so instead of offering a box that cannot work. */
(function () {
  "use strict";

  var PAGE_SIZE = 10; // results shown at once; "Show more results" adds as many again
  var SUB_RESULTS = 3; // places within one page shown under it, those with the most words found first

  var output = document.getElementById("search-output");
  if (!output) { return; }
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-query");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var root = output.getAttribute("data-root") || ""; // from this page to the site's root
  var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  input.value = query;

  function unavailable(id) {
    form.hidden = true;
    output.hidden = true;
    document.getElementById(id).hidden = false;
  }

  // Pagefind's URLs start at the site's root ('/articles/x.html#p-1'): made relative to this page,
  // they work wherever the site is published.
  function href(url) {
    return root + url.replace(/^\/+/, "");
  }

  // Pagefind marks the words found with <mark>; nothing else in an excerpt is ever markup. The
  // excerpt is parsed in an inert document (no script runs, nothing loads) and only its text and
  // its marks are copied.
  function appendExcerpt(parent, excerpt) {
    var parsed = new DOMParser().parseFromString(excerpt || "", "text/html").body;
    parsed.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(node.textContent));
      }
    });
  }

  function link(url, title) {
    var a = document.createElement("a");
    a.href = href(url);
    a.textContent = title || url;
    return a;
  }

  function resultItem(data) {
    var item = document.createElement("li");
    item.className = "search-result";
    var heading = document.createElement("h2");
    heading.appendChild(link(data.url, data.meta && data.meta.title));
    item.appendChild(heading);
    var excerpt = document.createElement("p");
    excerpt.className = "search-excerpt";
    appendExcerpt(excerpt, data.excerpt);
    item.appendChild(excerpt);
    // Sub-results are the headed parts of a page (an article's sections, and each annotated passage).
    var places = (data.sub_results || []).filter(function (sub) { return sub.url.indexOf("#") >= 0; });
    places.sort(function (a, b) { return b.locations.length - a.locations.length; });
    places = places.slice(0, SUB_RESULTS);
    if (places.length) {
      var sub = document.createElement("ul");
      sub.className = "search-sub";
      places.forEach(function (place) {
        var entry = document.createElement("li");
        entry.appendChild(link(place.url, place.title));
        var words = document.createElement("p");
        words.className = "search-excerpt";
        appendExcerpt(words, place.excerpt);
        entry.appendChild(words);
        sub.appendChild(entry);
      });
      item.appendChild(sub);
    }
    return item;
  }

  function announce(count) {
    var quoted = "\u201c" + query + "\u201d";
    status.textContent = count === 0 ? "No results for " + quoted + "." :
      count + (count === 1 ? " result" : " results") + " for " + quoted + ".";
  }

  function show(results) {
    var shown = 0;
    function next() {
      var batch = results.slice(shown, shown + PAGE_SIZE);
      return Promise.all(batch.map(function (result) { return result.data(); })).then(function (pages) {
        var items = pages.map(resultItem);
        items.forEach(function (item) { list.appendChild(item); });
        shown += batch.length;
        var left = results.length - shown;
        more.hidden = left <= 0;
        more.textContent = "Show more results (" + left + " more)";
        return items;
      });
    }
    more.addEventListener("click", function () {
      next().then(function (items) {
        // Keyboard users continue from the first new result rather than from the button, now further down.
        if (items.length) { items[0].querySelector("a").focus(); }
      });
    });
    return next().then(function () { announce(results.length); });
  }

  if (window.location.protocol === "file:") {
    unavailable("search-offline");
    return;
  }
  if (!query) { return; }
  document.title = "\u201c" + query + "\u201d \u00b7 " + document.title;
  status.textContent = "Searching\u2026";
  var index = new URL(output.getAttribute("data-index"), document.baseURI).href;
  // A large site's index comes in parts: parts.json lists the folders of those after the first.
  var folder = new URL(".", index).href;
  import(index)
    .then(function (pagefind) {
      var options = { baseUrl: "/", excerptLength: 30 };
      return pagefind.options(options)
        .then(function () { return fetch(folder + "parts.json"); })
        .then(function (response) {
          if (!response.ok) { throw new Error("no list of the index's parts"); }
          return response.json();
        })
        .then(function (parts) {
          return Promise.all(parts.map(function (part) {
            return pagefind.mergeIndex(new URL(part, folder).href, options);
          }));
        })
        .then(function () { return pagefind.search(query); });
    })
    .then(function (search) { return show(search.results); })
    .catch(function () { unavailable("search-failed"); });
}());
