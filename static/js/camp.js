/*
 * Camp: small progressive enhancements. Every page works without this file.
 *
 * Loaded from <head> without `defer` so that the stored theme and the `js`
 * class land on <html> before the first paint (no flash of the wrong theme,
 * no flash of `.js-hidden` controls); everything else waits for the DOM.
 * No inline script anywhere, so the pages can run under a strict CSP.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var THEME_KEY = "camp-theme";
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  root.classList.add("js");

  /* Theme ------------------------------------------------------------------ */

  function storedTheme() {
    try {
      var value = window.localStorage.getItem(THEME_KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (error) {
      return null; // Storage disabled (privacy mode): follow the OS.
    }
  }

  function storeTheme(theme) {
    try {
      window.localStorage.setItem(THEME_KEY, theme);
    } catch (error) {
      /* The choice still applies to this page. */
    }
  }

  function currentTheme() {
    var explicit = root.getAttribute("data-theme");
    if (explicit === "dark" || explicit === "light") {
      return explicit;
    }
    return darkQuery && darkQuery.matches ? "dark" : "light";
  }

  function syncToggles() {
    var pressed = currentTheme() === "dark" ? "true" : "false";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", pressed);
    });
  }

  function applyTheme(theme) {
    if (theme) {
      root.setAttribute("data-theme", theme);
    } else {
      root.removeAttribute("data-theme");
    }
    syncToggles();
  }

  applyTheme(storedTheme());

  function initThemeToggle() {
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var theme = currentTheme() === "dark" ? "light" : "dark";
        applyTheme(theme);
        storeTheme(theme);
      });
    });
    syncToggles();

    if (darkQuery) {
      var onChange = function () {
        syncToggles();
      };
      if (darkQuery.addEventListener) {
        darkQuery.addEventListener("change", onChange);
      } else if (darkQuery.addListener) {
        darkQuery.addListener(onChange);
      }
    }

    // Another tab changed the theme: follow it.
    window.addEventListener("storage", function (event) {
      if (event.key === THEME_KEY) {
        applyTheme(storedTheme());
      }
    });
  }

  /* Auto-submitting selects ---------------------------------------------- */

  function initAutosubmit() {
    document.addEventListener("change", function (event) {
      var select = event.target;
      if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-autosubmit")) {
        return;
      }
      var form = select.form;
      if (!form) {
        return;
      }
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
  }

  /* Filters that apply at once -------------------------------------------- */

  var REFOCUS_KEY = "camp-refocus";

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // A tick, a choice or a date re-renders the list at once (Apply stays for
  // pages without JavaScript); the search box still waits for Enter. Focus
  // returns to the control that was changed, so keyboard users keep their place.
  function initFilterForms() {
    document.querySelectorAll("form[data-filter-form]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        var control = event.target;
        if (!control || !control.name || control.name === "q") {
          return;
        }
        try {
          window.sessionStorage.setItem(REFOCUS_KEY, control.id || "");
        } catch (error) {
          /* Only the focus is lost. */
        }
        submitForm(form);
      });
    });
    var id = null;
    try {
      id = window.sessionStorage.getItem(REFOCUS_KEY);
      window.sessionStorage.removeItem(REFOCUS_KEY);
    } catch (error) {
      id = null;
    }
    var target = id ? document.getElementById(id) : null;
    if (target) {
      target.focus();
    }
  }

  /* Chart read-out ---------------------------------------------------------- */

  // Hovering or focusing a bar writes its day and value under the chart
  // (the bar's <title> is the tooltip; the table in <details> lists them all).
  function initChartReadout(chart) {
    var figure = chart.closest("figure");
    var readout = figure ? figure.querySelector("[data-chart-readout]") : null;
    if (!readout) {
      return;
    }
    function show(event) {
      var bar = event.target.closest ? event.target.closest(".bar-group") : null;
      if (bar) {
        readout.textContent = bar.getAttribute("data-value") || "";
      }
    }
    chart.addEventListener("mouseover", show);
    chart.addEventListener("focusin", show);
  }

  /* Remembered filter panel ------------------------------------------------ */

  // The server reads this cookie to render the panel open or folded, so the
  // page comes back as it was left, without a jump after the first paint.
  function initRememberedPanels() {
    document.querySelectorAll("details[data-remember-open]").forEach(function (details) {
      var name = "camp-filters-" + details.getAttribute("data-remember-open");
      details.addEventListener("toggle", function () {
        document.cookie =
          name + "=" + (details.open ? "open" : "closed") +
          "; path=/; max-age=31536000; SameSite=Lax";
      });
    });
  }

  /* Author autocomplete ---------------------------------------------------- */

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      var args = arguments;
      var self = this;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        fn.apply(self, args);
      }, wait);
    };
  }

  function fillDatalist(datalist, results) {
    var options = document.createDocumentFragment();
    results.forEach(function (result) {
      if (!result || typeof result.username !== "string") {
        return;
      }
      var option = document.createElement("option");
      option.value = result.username;
      if (result.name) {
        option.label = result.name;
      }
      options.appendChild(option);
    });
    datalist.replaceChildren(options);
  }

  function initAutocomplete(input) {
    var datalist = input.list || document.getElementById(input.getAttribute("list") || "");
    var baseUrl = input.getAttribute("data-autocomplete-url");
    if (!datalist || !baseUrl) {
      return;
    }
    var controller = null;
    var lastQuery = null;

    var lookup = debounce(function () {
      var query = input.value.trim();
      if (query === lastQuery) {
        return;
      }
      lastQuery = query;
      if (!query) {
        datalist.replaceChildren();
        return;
      }
      if (controller) {
        controller.abort(); // A newer keystroke wins over a slower answer.
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = new URL(baseUrl, window.location.href);
      url.searchParams.set("q", query);
      window
        .fetch(url.toString(), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller ? controller.signal : undefined,
        })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("autocomplete: HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (data && Array.isArray(data.results) && input.value.trim() === query) {
            fillDatalist(datalist, data.results);
          }
        })
        .catch(function () {
          /* Suggestions are a convenience: typing the username still works. */
        });
    }, 200);

    input.addEventListener("input", lookup);
  }

  /* Bulk selection ------------------------------------------------------- */

  // The header checkbox ticks or clears the row checkboxes of its form;
  // shift-click ticks a range; the bar counts what is ticked, keeps "Run on
  // ticked rows" disabled until something is, and offers every row matching
  // the filter once the whole page is ticked. Without JavaScript the header
  // box stays hidden and rows are ticked one by one.
  function initBulkSelection(form) {
    var master = document.querySelector('input[data-select-all][form="' + form.id + '"]');
    var runSelected = form.querySelector("[data-bulk-selected]");
    var status = form.querySelector("[data-bulk-status]");
    var allMatching = form.querySelector("[data-bulk-all-matching]");
    var clear = form.querySelector("[data-bulk-clear]");
    var total = parseInt(form.getAttribute("data-total") || "", 10);
    var matchingChosen = false;
    var lastClicked = null;

    function boxes() {
      return Array.prototype.filter.call(form.elements, function (element) {
        return element.type === "checkbox" && element.name === "ids";
      });
    }
    function text(kind, count) {
      var template = form.querySelector('template[data-bulk-text="' + kind + '"]');
      return template ? template.content.textContent.replace("__N__", String(count)) : "";
    }
    function sync() {
      var all = boxes();
      var ticked = all.filter(function (box) { return box.checked; }).length;
      if (ticked < all.length) {
        matchingChosen = false;
      }
      if (master) {
        master.checked = all.length > 0 && ticked === all.length;
        master.indeterminate = ticked > 0 && ticked < all.length;
      }
      if (runSelected) {
        runSelected.disabled = ticked === 0;
        runSelected.value = matchingChosen ? "all" : "selected";
      }
      if (status) {
        status.hidden = false;
        status.textContent = matchingChosen
          ? text("all", total)
          : text(ticked === 0 ? "none" : ticked === 1 ? "one" : "many", ticked);
      }
      var more = isNaN(total) || total > all.length;
      if (allMatching) {
        allMatching.hidden = !(all.length > 0 && ticked === all.length && more && !matchingChosen);
      }
      if (clear) {
        clear.hidden = ticked === 0;
      }
    }

    if (master) {
      master.hidden = false;
      master.addEventListener("change", function () {
        boxes().forEach(function (box) {
          box.checked = master.checked;
        });
        sync();
      });
    }
    boxes().forEach(function (box) {
      box.addEventListener("click", function (event) {
        var all = boxes();
        if (event.shiftKey && lastClicked && lastClicked !== box) {
          var from = all.indexOf(lastClicked);
          var to = all.indexOf(box);
          var low = Math.min(from, to);
          var high = Math.max(from, to);
          for (var i = low; i <= high; i += 1) {
            all[i].checked = box.checked;
          }
        }
        lastClicked = box;
        sync();
      });
      box.addEventListener("change", sync);
    });
    if (allMatching) {
      allMatching.addEventListener("click", function () {
        matchingChosen = true;
        sync();
        if (runSelected) {
          runSelected.focus();
        }
      });
    }
    if (clear) {
      clear.addEventListener("click", function () {
        matchingChosen = false;
        boxes().forEach(function (box) {
          box.checked = false;
        });
        sync();
      });
    }
    sync();
  }

  /* Keyboard shortcuts --------------------------------------------------- */

  function isTyping(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    if (target.isContentEditable) {
      return true;
    }
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    if (tag === "INPUT") {
      var type = (target.getAttribute("type") || "text").toLowerCase();
      return ["button", "submit", "reset", "checkbox", "radio", "image", "file", "range", "color"].indexOf(type) === -1;
    }
    return false;
  }

  function searchInput() {
    return (
      document.querySelector("form.filters input[name=q]") ||
      document.getElementById("global-search-q")
    );
  }

  function toggleShortcutsDialog() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    if (dialog.open) {
      dialog.close();
    } else {
      dialog.showModal();
    }
  }

  /* Rows of a list: j/k move, x ticks, o opens, e edits. */

  function listRows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.records tbody tr"));
  }

  function currentRowIndex(rows) {
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].classList.contains("is-current")) {
        return i;
      }
    }
    var active = document.activeElement;
    for (var j = 0; j < rows.length; j += 1) {
      if (active && rows[j].contains(active)) {
        return j;
      }
    }
    return -1;
  }

  function moveRow(step) {
    var rows = listRows();
    if (!rows.length) {
      return false;
    }
    var index = currentRowIndex(rows);
    var next = index === -1 ? (step > 0 ? 0 : rows.length - 1) : index + step;
    next = Math.max(0, Math.min(rows.length - 1, next));
    rows.forEach(function (row) {
      row.classList.remove("is-current");
    });
    var row = rows[next];
    row.classList.add("is-current");
    var link = row.querySelector("[data-row-link]") || row.querySelector("a, input");
    if (link) {
      link.focus();
      row.scrollIntoView({ block: "nearest" });
    }
    return true;
  }

  function currentRow() {
    var rows = listRows();
    var index = currentRowIndex(rows);
    return index === -1 ? null : rows[index];
  }

  // `g` then a letter goes somewhere, as long as the second key comes soon.
  var goPending = false;
  var goTimer = null;

  function handleGo(key) {
    goPending = false;
    window.clearTimeout(goTimer);
    var link = document.querySelector('[data-go="' + key + '"]');
    if (link) {
      link.click();
      return true;
    }
    return false;
  }

  function saveShortcut(event) {
    // Ctrl+Enter or ⌘+Enter saves the form being typed in, from any field.
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey) {
      return false;
    }
    var target = event.target;
    var form = target && target.form ? target.form : target && target.closest ? target.closest("form") : null;
    if (!form || (form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return false;
    }
    event.preventDefault();
    submitForm(form);
    return true;
  }

  function initShortcuts() {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.isComposing) {
        return;
      }
      if (saveShortcut(event)) {
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (isTyping(event.target)) {
        return;
      }
      var dialog = document.getElementById("shortcuts-dialog");
      var dialogOpen = Boolean(dialog && dialog.open);

      if (event.key === "?") {
        event.preventDefault();
        toggleShortcutsDialog();
        return;
      }
      if (dialogOpen) {
        return;
      }
      if (goPending) {
        if (handleGo(event.key)) {
          event.preventDefault();
        }
        return;
      }
      if (event.key === "g") {
        goPending = true;
        window.clearTimeout(goTimer);
        goTimer = window.setTimeout(function () {
          goPending = false;
        }, 1500);
        return;
      }
      if (event.key === "j" || event.key === "k") {
        if (moveRow(event.key === "j" ? 1 : -1)) {
          event.preventDefault();
        }
        return;
      }
      if (event.key === "x" || event.key === "o" || event.key === "e") {
        var row = currentRow();
        if (event.key === "e" && !row) {
          var edit = document.querySelector('[data-shortcut="e"]');
          if (edit) {
            event.preventDefault();
            edit.click();
          }
          return;
        }
        if (!row) {
          return;
        }
        event.preventDefault();
        if (event.key === "x") {
          var box = row.querySelector("input[type=checkbox]");
          if (box) {
            box.click();
          }
        } else if (event.key === "o") {
          var open = row.querySelector("[data-row-link]");
          if (open) {
            open.click();
          }
        } else if (row.getAttribute("data-edit-url")) {
          window.location.assign(row.getAttribute("data-edit-url"));
        }
        return;
      }
      if (event.key === "/") {
        var input = searchInput();
        if (input) {
          event.preventDefault();
          input.focus();
          input.select();
        }
        return;
      }
      if (event.key === "n") {
        var link = document.querySelector('[data-shortcut="n"]');
        if (link) {
          event.preventDefault();
          link.click();
        }
      }
    });

    // A click or focus inside a row makes it the current one for j/k/x/o/e.
    document.addEventListener("focusin", function (event) {
      var row = event.target && event.target.closest ? event.target.closest("table.records tbody tr") : null;
      if (!row) {
        return;
      }
      listRows().forEach(function (other) {
        other.classList.toggle("is-current", other === row);
      });
    });

    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      if (!document.getElementById("shortcuts-dialog")) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", toggleShortcutsDialog);
    });

    // A click on the backdrop (outside the dialog box) closes it.
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog) {
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) {
          var box = dialog.getBoundingClientRect();
          var inside =
            event.clientX >= box.left && event.clientX <= box.right &&
            event.clientY >= box.top && event.clientY <= box.bottom;
          if (!inside) {
            dialog.close();
          }
        }
      });
    }
  }

  /* Pages waiting on a job ------------------------------------------------ */

  // A link marked data-auto-refresh="N" is followed after N seconds, unless the
  // member is typing; without JavaScript it stays a link to click.
  function initAutoRefresh(link) {
    var seconds = parseFloat(link.getAttribute("data-auto-refresh")) || 3;
    window.setTimeout(function again() {
      if (isTyping(document.activeElement)) {
        window.setTimeout(again, seconds * 1000);
        return;
      }
      window.location.replace(link.href);
    }, seconds * 1000);
  }

  /* Start ------------------------------------------------------------------ */

  function init() {
    initThemeToggle();
    initAutosubmit();
    initRememberedPanels();
    initFilterForms();
    document.querySelectorAll("svg[data-chart]").forEach(initChartReadout);
    document.querySelectorAll("input[data-autocomplete-url]").forEach(initAutocomplete);
    document.querySelectorAll("form[data-bulk-form]").forEach(initBulkSelection);
    document.querySelectorAll("a[data-auto-refresh]").forEach(initAutoRefresh);
    initShortcuts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
