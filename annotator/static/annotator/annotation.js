/* The annotation page, keyboard first.
 *
 * - Every control with aria-keyshortcuts is its own hotkey: a radio button is chosen, a checkbox
 *   toggled, a button pressed, a link followed. Single keys never fire while typing in a text
 *   field (or a select); shortcuts with Control also work there.
 * - Enter on a radio button, a checkbox or a one-line field never submits the form.
 * - The source picker never takes an option from an older result list: Enter waits for the
 *   results of what was typed.
 * - Selecting words in the paragraph fills "source as written" and its offsets (mention_span.js).
 * - A new annotation or a draft is saved as a draft automatically while working.
 */
(function () {
  "use strict";
  const form = document.getElementById("annotation_form");
  if (!form) {
    return;
  }
  const byId = (id) => document.getElementById(id);

  // --- hotkeys ------------------------------------------------------------------------------

  function parseShortcut(shortcut) {
    const parts = shortcut.split("+");
    const key = parts.pop();
    return {
      key: key.toUpperCase(),
      control: parts.includes("Control"),
      shift: parts.includes("Shift"),
      alt: parts.includes("Alt"),
    };
  }

  function isTyping(element) {
    if (!element || !element.tagName) {
      return false;
    }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
      return true;
    }
    if (element.tagName !== "INPUT") {
      return false;
    }
    return !["radio", "checkbox", "submit", "button", "reset", "hidden"].includes(element.type);
  }

  function shortcutMatches(spec, event) {
    const control = event.ctrlKey || event.metaKey;
    if (spec.control !== control || spec.alt !== event.altKey) {
      return false;
    }
    const letter = /^[A-Z]$/.test(spec.key);
    if (letter && spec.shift !== event.shiftKey) {
      return false;
    }
    return (event.key || "").toUpperCase() === spec.key;
  }

  let submitting = false;

  function activate(element) {
    if (element.type === "radio" || element.type === "checkbox") {
      element.click();
      element.focus({ preventScroll: true });
    } else if (element.type === "submit") {
      if (!submitting) {
        form.requestSubmit(element);
      }
    } else {
      element.click();
    }
  }

  function hotkeyElements() {
    return Array.from(document.querySelectorAll("[aria-keyshortcuts]")).filter(
      (element) => !element.disabled
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) {
      return;
    }
    const typing = isTyping(event.target);
    const modified = event.ctrlKey || event.metaKey;
    if (typing && !modified) {
      return;
    }
    for (const element of hotkeyElements()) {
      for (const shortcut of element.getAttribute("aria-keyshortcuts").split(" ")) {
        if (shortcut && shortcutMatches(parseShortcut(shortcut), event)) {
          event.preventDefault();
          activate(element);
          return;
        }
      }
    }
  });

  // Enter on a choice or a one-line field does not submit (the buttons and their keys do).
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey) {
      return;
    }
    const target = event.target;
    if (target.tagName === "INPUT" && !["submit", "button"].includes(target.type)) {
      event.preventDefault();
    }
  });

  // --- the source picker --------------------------------------------------------------------

  const jQuery = window.django && window.django.jQuery;
  const sourceSelect = byId("id_source");

  // Shared with the adjudication page (mention_span.js): typing clears the span, selecting
  // words in the paragraph fills the mention and its offsets.
  const setMention = window.annotatorMention ? window.annotatorMention.set : function () {};

  if (jQuery && sourceSelect) {
    jQuery(function () {
      const select2 = jQuery(sourceSelect).data("select2");
      if (!select2) {
        return;
      }
      let shownTerm = null;
      let pendingEnter = false;
      select2.on("results:all", function (params) {
        shownTerm = (params && params.query && params.query.term) || "";
        if (pendingEnter) {
          pendingEnter = false;
          // After the list is drawn and its first option highlighted.
          window.setTimeout(function () {
            const field = document.querySelector(".select2-search__field");
            if (field && field.value === shownTerm) {
              select2.trigger("results:select", {});
            }
          }, 0);
        }
      });
      select2.on("close", function () {
        pendingEnter = false;
      });
      document.addEventListener(
        "keydown",
        function (event) {
          const field = event.target;
          if (event.key !== "Enter" || !field.classList || !field.classList.contains("select2-search__field")) {
            return;
          }
          if (field.value !== shownTerm) {
            // The list on screen answers an older term: choose once the new one is in.
            event.preventDefault();
            event.stopImmediatePropagation();
            pendingEnter = true;
          }
        },
        true
      );
    });
  }

  const focusSource = byId("focus-source");
  if (focusSource && jQuery && sourceSelect) {
    focusSource.addEventListener("click", function () {
      jQuery(sourceSelect).select2("open");
      // Focus the search field now, not when the picker gets to it: letters typed at once
      // must reach the search, not the page's hotkeys.
      const search = document.querySelector(".select2-container--open .select2-search__field");
      if (search) {
        search.focus();
      }
    });
  }

  const accept = byId("accept-suggestion");
  if (accept && sourceSelect) {
    accept.addEventListener("click", function () {
      const id = accept.dataset.sourceId;
      if (id) {
        if (!Array.from(sourceSelect.options).some((option) => option.value === id)) {
          sourceSelect.add(new Option(accept.dataset.sourceName, id, true, true));
        }
        sourceSelect.value = id;
      } else {
        sourceSelect.value = "";
      }
      if (jQuery) {
        jQuery(sourceSelect).trigger("change");
      } else {
        sourceSelect.dispatchEvent(new Event("change", { bubbles: true }));
      }
      const start = accept.dataset.start === "" ? null : Number(accept.dataset.start);
      const end = accept.dataset.end === "" ? null : Number(accept.dataset.end);
      setMention(accept.dataset.mention || "", start, end);
    });
  }

  // --- guidelines ---------------------------------------------------------------------------

  const guidelinesButton = byId("toggle-guidelines");
  const guidelines = byId("guidelines-panel");
  if (guidelinesButton && guidelines) {
    guidelinesButton.addEventListener("click", function () {
      guidelines.open = !guidelines.open;
    });
  }

  // --- drafts saved automatically ----------------------------------------------------------

  const autosave = byId("autosave");
  const status = byId("autosave-status");
  let timer = null;
  let inFlight = null;

  function saveDraft() {
    timer = null;
    const data = new FormData(form);
    data.append("_autosave", "1");
    inFlight = fetch(form.action || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null)
      .then(function (answer) {
        inFlight = null;
        if (answer && answer.saved) {
          form.action = answer.url;
          form.querySelector("input[name=seen_version]").value = String(answer.version);
          form.querySelector("input[name=opened]").value = answer.opened;
          if (status) {
            status.textContent = status.dataset.saved || "✓";
          }
        } else if (status) {
          status.textContent = status.dataset.failed || "";
        }
      });
  }

  if (autosave) {
    form.addEventListener("change", function () {
      if (submitting) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(saveDraft, 1500);
    });
  }

  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);
    timer = null;
    if (inFlight) {
      // Wait for the automatic save: the form then carries the version it wrote.
      event.preventDefault();
      const submitter = event.submitter;
      inFlight.then(() => form.requestSubmit(submitter));
      return;
    }
    submitting = true;
  });
})();
