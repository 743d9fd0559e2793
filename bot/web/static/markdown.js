// A small, safe Markdown subset for the Desk's answers: paragraphs (line breaks kept), "- "
// bullets, "1." lists, "#" headings, **bold**, `inline code`, fenced code blocks, and [n]
// citation markers that link to source n. Everything is built with createElement and
// textContent: answer text is never parsed as HTML, so markup in it stays literal text.
//
//   DeskMarkdown.render(container, text, cite)
//     cite(n) -> {href, title} for source n, or null (the marker then stays plain text).
(() => {
  "use strict";

  const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
  const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
  const ORDERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
  const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
  // Code spans first (their content is literal), then bold, then citation markers.
  const INLINE = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|\[(\d{1,2})\]/g;

  function fenced(lines, start, match) {
    const marker = match[1];
    const body = [];
    let i = start + 1;
    // An unclosed fence (an answer still streaming) runs to the end of the text.
    while (i < lines.length && !lines[i].trim().startsWith(marker)) body.push(lines[i++]);
    return { block: { type: "code", lang: match[2], text: body.join("\n") }, next: i + 1 };
  }

  // Add an item to the open list of the same kind, or start a new list; return that list.
  function listItem(out, current, ordered, start, text) {
    let list = current;
    if (!list || list.type !== "list" || list.ordered !== ordered) {
      list = { type: "list", ordered, start, items: [] };
      out.push(list);
    }
    list.items.push([text]);
    return list;
  }

  // Split the text into blocks: code, list, heading, paragraph.
  function blocks(text) {
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    const out = [];
    let current = null; // the open paragraph or list, which following lines may extend
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const fence = FENCE.exec(line);
      let m;
      if (fence) {
        const { block, next } = fenced(lines, i, fence);
        out.push(block);
        current = null;
        i = next;
        continue;
      }
      if (!line.trim()) {
        current = null;
      } else if ((m = BULLET.exec(line))) {
        current = listItem(out, current, false, 1, m[1]);
      } else if ((m = ORDERED.exec(line))) {
        current = listItem(out, current, true, Number(m[1]), m[2]);
      } else if ((m = HEADING.exec(line))) {
        out.push({ type: "heading", level: m[1].length, text: m[2] });
        current = null;
      } else if (current && current.type === "list" && /^\s/.test(line)) {
        current.items[current.items.length - 1].push(line.trim()); // an indented continuation
      } else if (current && current.type === "para") {
        current.lines.push(line);
      } else {
        current = { type: "para", lines: [line] };
        out.push(current);
      }
      i += 1;
    }
    return out;
  }

  function citation(marker, n, cite) {
    const source = cite ? cite(Number(n)) : null;
    if (!source) return document.createTextNode(marker);
    const link = document.createElement("a");
    link.className = "cite";
    link.setAttribute("href", source.href);
    link.setAttribute("data-testid", "citation-link");
    link.setAttribute("data-n", n);
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener");
    if (source.title) link.title = source.title;
    link.textContent = marker;
    return link;
  }

  // Append ``text`` to ``parent`` with code spans, bold and citation markers.
  function inline(parent, text, cite) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) {
        const code = document.createElement("code");
        code.textContent = m[2].length > 2 && /^ .* $/.test(m[2]) ? m[2].slice(1, -1) : m[2];
        parent.appendChild(code);
      } else if (m[3] !== undefined) {
        const strong = document.createElement("strong");
        inline(strong, m[3], cite);
        parent.appendChild(strong);
      } else {
        parent.appendChild(citation(m[0], m[4], cite));
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Lines of one paragraph or list item, with their line breaks kept.
  function lines(parent, rows, cite) {
    rows.forEach((row, k) => {
      if (k) parent.appendChild(document.createElement("br"));
      inline(parent, row, cite);
    });
  }

  function node(block, cite) {
    if (block.type === "code") {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      if (block.lang) code.setAttribute("data-lang", block.lang);
      code.textContent = block.text;
      pre.appendChild(code);
      return pre;
    }
    if (block.type === "list") {
      const list = document.createElement(block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
      for (const rows of block.items) {
        const item = document.createElement("li");
        lines(item, rows, cite);
        list.appendChild(item);
      }
      return list;
    }
    if (block.type === "heading") {
      // Answers sit inside a chat bubble: headings stay small whatever their level.
      const heading = document.createElement(block.level <= 2 ? "h4" : "h5");
      inline(heading, block.text, cite);
      return heading;
    }
    const paragraph = document.createElement("p");
    lines(paragraph, block.lines, cite);
    return paragraph;
  }

  /** Replace the contents of ``container`` with ``text`` rendered as the safe subset. */
  function render(container, text, cite) {
    const fragment = document.createDocumentFragment();
    for (const block of blocks(String(text || ""))) fragment.appendChild(node(block, cite));
    container.replaceChildren(fragment);
  }

  window.DeskMarkdown = Object.freeze({ render });
})();
