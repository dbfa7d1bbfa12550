/** The page's stylesheet (inlined: the page works offline, from one file). */
// biome-ignore lint/complexity/noUselessStringRaw: raw on purpose, so that a backslash added to the stylesheet stays one
export const PAGE_STYLE = String.raw`
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 12px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
body { display: flex; flex-direction: column; }
header { padding: 6px 10px; background: #1d2330; color: #eef; display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; }
header h1 { font-size: 14px; margin: 0; }
header .source { color: #aab; font-family: ui-monospace, monospace; }
.verdict-ok { color: #7ee787; font-weight: bold; }
.verdict-fail { color: #ff7b72; font-weight: bold; }
#controls { display: flex; flex-wrap: wrap; gap: 6px 12px; padding: 5px 10px; background: #e8eaef; border-bottom: 1px solid #cfd3db; align-items: center; }
#controls input[type=text] { width: 180px; font: inherit; padding: 2px 4px; }
#controls button { font: inherit; padding: 1px 7px; }
.legend { display: flex; gap: 10px; flex-wrap: wrap; color: #444; }
.legend i { display: inline-block; width: 18px; height: 0; border-top: 2px solid; vertical-align: middle; margin-right: 3px; }
#main { flex: 1; display: flex; min-height: 0; }
#panes { flex: 1; display: flex; min-width: 0; }
.pane { flex: 1; display: flex; flex-direction: column; min-width: 0; border-right: 1px solid #cfd3db; }
.pane-title { padding: 3px 8px; background: #dde1e8; font-weight: bold; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.pane canvas { flex: 1; min-height: 0; width: 100%; display: block; cursor: crosshair; background: #fff; }
#banner { padding: 4px 10px; background: #fff1c2; border-bottom: 1px solid #e0c96a; display: none; }
#banner.show { display: block; }
#detail { width: 42%; min-width: 320px; max-width: 760px; overflow: auto; padding: 8px 10px; background: #fff; border-left: 1px solid #cfd3db; }
#detail h2 { font-size: 13px; margin: 4px 0 6px; }
#detail h3 { font-size: 12px; margin: 10px 0 3px; color: #445; }
#detail pre { margin: 0; padding: 4px 6px; background: #f3f4f7; border-radius: 3px; white-space: pre-wrap; word-break: break-all; font: 11px/1.35 ui-monospace, monospace; max-height: 340px; overflow: auto; }
#detail table { border-collapse: collapse; width: 100%; font: 11px/1.35 ui-monospace, monospace; }
#detail td { border-top: 1px solid #eee; padding: 2px 4px; vertical-align: top; word-break: break-all; }
#detail tr.changed td { background: #fff3b0; }
#detail td.path { color: #2b4a8b; width: 40%; }
#detail td.before, #detail td.after { width: 30%; }
#detail td.before { color: #a33; }
#detail td.after { color: #174; }
#detail .violation { background: #ffe1e1; border: 1px solid #e99; padding: 4px 6px; margin: 4px 0; border-radius: 3px; }
#detail .note { color: #777; font-style: italic; }
#detail ul { margin: 0; padding-left: 16px; font: 11px/1.35 ui-monospace, monospace; }
#status { padding: 2px 10px; color: #555; background: #e8eaef; border-top: 1px solid #cfd3db; white-space: nowrap; overflow: hidden; }
`;
