// A small markdown renderer for card details - escape first, then add a fixed set of tags.
//
// Every character of the input is HTML-escaped before any markup is recognised, so card text can never
// open a tag or an attribute of its own: the only tags in the output are the ones written here (p, h4,
// strong, em, code, ul, ol, li, table, thead, tbody, tr, th, td, a).  Links keep only http(s) URLs.
// Supported: paragraphs, "#" headings, **bold**, *italic*, `code`, [text](https://...), "-"/"*"/"1."
// lists and pipe tables - what CDS cards use.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

function inline(escaped) {
  return escaped
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
    .replace(
      /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
      '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>',
    );
}

function cells(row) {
  return row.replace(/^\s*\|/, "").replace(/\|\s*$/, "").split("|").map((c) => inline(c.trim()));
}

function table(lines) {
  const rows = lines.filter((line) => !/^\s*\|?\s*:?-{2,}/.test(line));
  const [head, ...body] = rows;
  const th = cells(head).map((c) => `<th>${c}</th>`).join("");
  const trs = body.map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

function list(lines, ordered) {
  const items = lines.map((line) => `<li>${inline(line.replace(/^\s*(?:[-*]|\d+\.)\s+/, ""))}</li>`);
  return ordered ? `<ol>${items.join("")}</ol>` : `<ul>${items.join("")}</ul>`;
}

function block(lines) {
  if (lines.every((line) => /^\s*\|/.test(line))) return table(lines);
  if (lines.every((line) => /^\s*[-*]\s+/.test(line))) return list(lines, false);
  if (lines.every((line) => /^\s*\d+\.\s+/.test(line))) return list(lines, true);
  const heading = /^(#{1,6})\s+(.*)$/.exec(lines[0]);
  if (heading && lines.length === 1) return `<h4>${inline(heading[2])}</h4>`;
  return `<p>${lines.map(inline).join("<br>")}</p>`;
}

// The HTML of `markdown`; safe to assign to innerHTML.
export function renderMarkdown(markdown) {
  const escaped = escapeHtml(markdown ?? "").replace(/\r\n?/g, "\n");
  return escaped
    .split(/\n\s*\n/)
    .map((chunk) => chunk.split("\n").filter((line) => line.trim() !== ""))
    .filter((lines) => lines.length > 0)
    .map(block)
    .join("");
}
