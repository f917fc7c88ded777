"""Selecting words in the page's paragraph as a reader does (then the mouseup the page
listens to): `page.evaluate(SELECT_WORD, word)` is true when the word was found."""

SELECT_WORD = """word => {
  const paragraph = document.getElementById('paragraph');
  const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      paragraph.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""
