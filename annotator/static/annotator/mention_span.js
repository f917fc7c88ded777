/* "Source as written" and its span, on the annotation and the adjudication page.
 *
 * - Selecting words in the paragraph (#paragraph, whose data-offset is the paragraph's start in
 *   the document) fills the mention and its offsets, counted in code points as Python does.
 * - Typing the mention by hand clears the offsets: the words are no longer a selection.
 * - window.annotatorMention.set(mention, start, end) fills them from elsewhere (the
 *   annotation page's "accept suggestion").
 */
(function () {
  "use strict";
  const byId = (id) => document.getElementById(id);
  const codePoints = (text) => Array.from(text).length;
  const mentionInput = byId("id_source_mention");
  const startInput = byId("id_source_mention_start");
  const endInput = byId("id_source_mention_end");
  const paragraph = byId("paragraph");

  function setMention(mention, start, end) {
    if (mentionInput) {
      mentionInput.value = mention;
      mentionInput.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (startInput && endInput) {
      startInput.value = start === null ? "" : String(start);
      endInput.value = end === null ? "" : String(end);
    }
  }
  window.annotatorMention = { set: setMention };

  if (mentionInput) {
    mentionInput.addEventListener("input", function () {
      if (startInput && endInput) {
        startInput.value = "";
        endInput.value = "";
      }
    });
  }

  function takeSelection() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      return;
    }
    const range = selection.getRangeAt(0);
    if (!paragraph.contains(range.startContainer) || !paragraph.contains(range.endContainer)) {
      return;
    }
    const before = document.createRange();
    before.setStart(paragraph, 0);
    before.setEnd(range.startContainer, range.startOffset);
    const selected = range.toString();
    const mention = selected.trim();
    if (!mention) {
      return;
    }
    const leading = selected.length - selected.trimStart().length;
    const start =
      Number(paragraph.dataset.offset) +
      codePoints(before.toString()) +
      codePoints(selected.slice(0, leading));
    setMention(mention, start, start + codePoints(mention));
  }
  if (paragraph && mentionInput) {
    paragraph.addEventListener("mouseup", takeSelection);
    paragraph.addEventListener("keyup", takeSelection);
  }
})();
