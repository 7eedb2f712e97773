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

  /* Tick every row ------------------------------------------------------- */

  // A header checkbox ticks or clears the row checkboxes of its form; without
  // JavaScript it stays hidden and rows are ticked one by one.
  function initSelectAll(master) {
    var name = master.getAttribute("data-select-all");
    var form = master.form;
    if (!form || !name) {
      return;
    }
    function boxes() {
      return Array.prototype.filter.call(form.elements, function (element) {
        return element.type === "checkbox" && element.name === name;
      });
    }
    function sync() {
      var all = boxes();
      var ticked = all.filter(function (box) { return box.checked; }).length;
      master.checked = all.length > 0 && ticked === all.length;
      master.indeterminate = ticked > 0 && ticked < all.length;
    }
    master.hidden = false;
    master.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = master.checked;
      });
    });
    boxes().forEach(function (box) {
      box.addEventListener("change", sync);
    });
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

  function initShortcuts() {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
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

  /* Start ------------------------------------------------------------------ */

  function init() {
    initThemeToggle();
    initAutosubmit();
    document.querySelectorAll("input[data-autocomplete-url]").forEach(initAutocomplete);
    document.querySelectorAll("input[data-select-all]").forEach(initSelectAll);
    initShortcuts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
