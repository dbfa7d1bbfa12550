/**
 * The run viewer's page: one self-contained HTML file (its script, style and data inlined, nothing
 * fetched), for one run or two runs side by side aligned at their first difference.
 */
import { PAGE_SCRIPT } from "./page-script.js";
import { PAGE_STYLE } from "./page-style.js";
import type { ViewRun } from "./model.js";

/** Where two runs first differ: the row in each, and a sentence saying how. */
export interface Divergence {
  rows: [number, number];
  text: string;
}

/** The HTML page of one run, or of two runs with their first difference. */
export function renderPage(runs: readonly ViewRun[], divergence: Divergence | null = null): string {
  const data = JSON.stringify({ runs, divergence });
  // Inside <script>, "</" would end the element and "<!--" open a comment: escape the "<".
  const safe = data.replace(/</g, "\\u003c");
  const title = runs.map((r) => r.title).join(" vs ");
  const clocks = new Set(runs.map((r) => r.clock));
  const timeAxis = clocks.size === 1 ? `${runs[0]!.clock} time` : "time";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flint view: ${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>flint view: ${escapeHtml(title)}</h1><span id="verdict"></span><span class="source" id="source"></span></header>
<div id="controls">
  <label>nodes <input type="text" id="lanes" placeholder="master, worker-1 (all when empty)"></label>
  <label>follow <input type="text" id="follow" placeholder="a task, executor, app or worker id"></label>
  <label>axis <select id="axis"><option value="steps">steps</option><option value="time">${timeAxis}</option></select></label>
  <button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">-</button><button id="fit">whole run</button>
  <button id="prev-mark">&lt; mark</button><button id="next-mark">mark &gt;</button>
  <span class="legend">
    <span><i style="border-color:rgba(60,90,160,0.8)"></i>delivered</span>
    <span><i style="border-color:#e67800;border-top-style:dashed"></i>duplicate</span>
    <span><i style="border-color:#8c3cc8;border-top-style:dotted"></i>delayed</span>
    <span><i style="border-color:#d22828"></i>lost (x)</span>
    <span><i style="border-color:#00968c;border-top-style:dashed"></i>injected</span>
    <span style="color:#d00">x crash</span><span>- exit</span>
    <span style="background:rgba(90,90,90,0.28)">&nbsp;paused&nbsp;</span>
    <span style="background:rgba(255,140,0,0.25)">&nbsp;partitioned&nbsp;</span>
    <span style="color:#b08000">&#9670; leader</span>
    <span style="background:rgba(220,0,0,0.25)">&nbsp;violation&nbsp;</span>
  </span>
</div>
<div id="banner"></div>
<div id="main"><div id="panes"></div><div id="detail"><p class="note">Click a step (a dot) to see its input, its effects and the node's state before and after it.</p></div></div>
<div id="status"></div>
<script id="run-data" type="application/json">${safe}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A row's identity for comparing runs: time, node, the input and the effects (as JSON where kept,
 * else their summaries). Real time is left out: two real runs never share their clocks' readings.
 */
function rowKey(v: ViewRun, row: number, withTime: boolean): string {
  const text = (full: number, brief: number): string => v.strings[full >= 0 ? full : brief]!;
  const effects: string[] = [];
  for (let e = v.effectStart[row]!; e < v.effectStart[row + 1]!; e++) effects.push(text(v.effectIds[e]!, v.effectSummary[e]!));
  return `${withTime ? v.timeMs[row] : ""} ${v.lanes[v.lane[row]!]!.name} ${text(v.input[row]!, v.summary[row]!)} => ${effects.join("; ")}`;
}

/** A row in a sentence, for the banner. */
function rowText(v: ViewRun, row: number): string {
  const effects: string[] = [];
  for (let e = v.effectStart[row]!; e < v.effectStart[row + 1]!; e++) effects.push(v.strings[v.effectSummary[e]!]!);
  return `${(v.timeMs[row]! / 1000).toFixed(3)}s ${v.lanes[v.lane[row]!]!.name}: ${v.strings[v.summary[row]!]}${effects.length > 0 ? ` => ${effects.join("; ")}` : ""}`;
}

/** Where two runs of one scenario first differ, or null when they are the same step for step. */
export function firstDifference(a: ViewRun, b: ViewRun): Divergence | null {
  const n = Math.min(a.step.length, b.step.length);
  // What the nodes did (time, node, input, effects) is the difference to open on; a step whose
  // state changes differ while it did the same (a seed, or a bug that has not shown yet) is noted.
  const withTime = a.clock === "virtual" && b.clock === "virtual";
  let acted = -1;
  let stated = -1;
  for (let i = 0; i < n && acted < 0; i++) {
    if (rowKey(a, i, withTime) !== rowKey(b, i, withTime)) acted = i;
    else if (stated < 0 && a.changes[i]! >= 0 && b.changes[i]! >= 0 && a.strings[a.changes[i]!] !== b.strings[b.changes[i]!]) stated = i;
  }
  const stateNote =
    stated >= 0 ? ` The nodes' states first differ earlier, at step ${a.step[stated]} (${a.lanes[a.lane[stated]!]!.name}).` : "";
  if (acted >= 0)
    return {
      rows: [acted, acted],
      text: `The runs do the same for ${acted} steps and first differ at step ${a.step[acted]}: A: ${rowText(a, acted)}  |  B: ${rowText(b, acted)}.${stateNote}`,
    };
  if (a.step.length === b.step.length && stated < 0) return null;
  const longer = a.step.length > b.step.length ? "A" : "B";
  const ended = a.step.length === b.step.length ? "" : ` then ${longer} goes on (${Math.abs(a.step.length - b.step.length)} more steps).`;
  if (stated >= 0)
    return {
      rows: [stated, stated],
      text: `The runs do the same for ${n} steps;${ended} The nodes' states first differ at step ${a.step[stated]}: ${rowText(a, stated)}.`,
    };
  return { rows: [Math.min(n, a.step.length - 1), Math.min(n, b.step.length - 1)], text: `The runs do the same for ${n} steps;${ended}` };
}
