/** HTML for the web UI: escaping, tables, and the page shell whose script keeps the page live. */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A cell: text (escaped) or { html } already built from escaped parts. */
export type Cell = string | number | { html: string };

const cell = (c: Cell): string => (typeof c === "object" ? c.html : escapeHtml(c));

/** A link whose href and text are escaped. */
export const link = (href: string, text: string): { html: string } => ({ html: `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` });

export function table(id: string, header: string[], rows: Cell[][], empty = "none"): string {
  if (rows.length === 0) return `<p class="empty" id="${escapeHtml(id)}">${escapeHtml(empty)}</p>`;
  return `<table id="${escapeHtml(id)}"><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`).join("\n")}
</tbody></table>`;
}

export function section(title: string, body: string): string {
  return `<h2>${escapeHtml(title)}</h2>\n${body}`;
}

/** A progress bar with its numbers. */
export function progress(done: number, total: number): { html: string } {
  const percent = total === 0 ? 0 : Math.floor((100 * done) / total);
  return { html: `<span class="bar"><span style="width:${percent}%"></span></span> <span class="count">${done}/${total}</span>` };
}

export function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f0f0f0}
.bar{display:inline-block;width:160px;height:10px;background:#eee;border:1px solid #bbb;vertical-align:middle}
.bar span{display:block;height:100%;background:#5a9}.empty{color:#888}.error{color:#b00}#updated{color:#888;font-size:12px}`;

/**
 * The page: the title, the body, and (live) a script that fetches /fragment every second and
 * swaps it into <main>; a failed fetch (the process stopped) is shown, and retried.
 */
export function pageShell(title: string, body: string, options: { live?: boolean } = {}): string {
  const live = options.live ?? true;
  const script = live
    ? `<script>
(function(){var main=document.getElementById("main"),up=document.getElementById("updated");
function tick(){fetch("fragment",{credentials:"same-origin"}).then(function(r){if(!r.ok)throw new Error("HTTP "+r.status);return r.text()})
.then(function(t){main.innerHTML=t;up.textContent="updated "+new Date().toLocaleTimeString()})
.catch(function(e){up.textContent="not updated: "+e.message}).finally(function(){setTimeout(tick,1000)})}
setTimeout(tick,1000)})();
</script>`
    : "";
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><div id="updated"></div>
<main id="main">${body}</main>
${script}
</body></html>
`;
}
