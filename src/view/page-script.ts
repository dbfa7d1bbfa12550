/**
 * The page's own script (inlined, no framework): draws each run on a <canvas>, lanes across and
 * steps down, only the visible window (so half a million steps scroll and zoom smoothly); a click
 * shows the step's input, effects and the node's state before and after it, rebuilt by applying
 * the node's recorded state changes from its init. Written as plain JavaScript in a string: the
 * page runs it as is.
 */
// biome-ignore lint/complexity/noUselessStringRaw: raw on purpose, so that a backslash added to the page's code stays one
export const PAGE_SCRIPT = String.raw`
"use strict";
var FATES = ["delivered", "duplicate", "delayed", "lost", "injected"];
var FATE_STYLE = {
  delivered: { color: "rgba(60,90,160,0.55)", dash: [] },
  duplicate: { color: "rgba(230,120,0,0.9)", dash: [5, 3] },
  delayed: { color: "rgba(140,60,200,0.9)", dash: [2, 2] },
  lost: { color: "rgba(210,40,40,0.9)", dash: [] },
  injected: { color: "rgba(0,150,140,0.9)", dash: [6, 2] }
};
var KIND_COLOR = { master: "#8a3ffc", worker: "#1f6feb", driver: "#1a7f37", executor: "#bf8700", client: "#666", other: "#666" };
var GUTTER = 64, HEAD = 70, MIN_LANE = 16;
var DATA = JSON.parse(document.getElementById("run-data").textContent);
var RUNS = DATA.runs;
// top and rowPx are in axis units: steps (one unit a step), or virtual ms when the axis is time.
var shared = { axis: "steps", top: 0, rowPx: 6, laneFilter: "", follow: "", followRows: null, selected: null, pane: 0 };

function el(tag, attrs, text) {
  var e = document.createElement(tag);
  if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function prepare(run) {
  var n = run.step.length;
  // Rows of each lane, for rebuilding a node's state from its own steps.
  var counts = new Int32Array(run.lanes.length + 1);
  for (var i = 0; i < n; i++) counts[run.lane[i] + 1]++;
  for (var l = 0; l < run.lanes.length; l++) counts[l + 1] += counts[l];
  var start = counts.slice();
  var byLane = new Int32Array(n);
  var fill = counts.slice();
  for (var i2 = 0; i2 < n; i2++) byLane[fill[run.lane[i2]]++] = i2;
  run._laneStart = start;
  run._byLane = byLane;
  // Messages by the row buckets they span, so a window finds its arrows without scanning them all.
  var B = 512, buckets = new Map();
  for (var m = 0; m < run.msgSend.length; m++) {
    var a = run.msgSend[m], b = run.msgRecv[m];
    if (a < 0) a = b;
    if (b < 0) b = Math.min(n - 1, a + 2);
    for (var k = a >> 9; k <= (b >> 9); k++) {
      var list = buckets.get(k);
      if (!list) buckets.set(k, (list = []));
      list.push(m);
    }
  }
  run._buckets = buckets;
  run._B = B;
  run._stateCache = null;
  return run;
}

function str(run, id) { return id < 0 ? null : run.strings[id]; }

function laneVisible(run, i) {
  var f = shared.laneFilter.trim();
  if (!f) return true;
  var name = run.lanes[i].name;
  return f.split(",").some(function (p) { p = p.trim(); return p !== "" && name.indexOf(p) >= 0; });
}

/** Rows of a node whose name holds the followed id (an app's executors), or whose input or effects mention it (null: follow nothing). */
function followRows(run, id) {
  if (!id) return null;
  var hit = new Uint8Array(run.strings.length);
  for (var s = 0; s < run.strings.length; s++) if (run.strings[s].indexOf(id) >= 0) hit[s] = 1;
  var laneHit = run.lanes.map(function (l) { return l.name.indexOf(id) >= 0; });
  var rows = new Uint8Array(run.step.length);
  for (var r = 0; r < run.step.length; r++) {
    var on = laneHit[run.lane[r]] || hit[run.summary[r]] === 1 || (run.input[r] >= 0 && hit[run.input[r]] === 1);
    for (var e = run.effectStart[r]; !on && e < run.effectStart[r + 1]; e++) on = (run.effectIds[e] >= 0 && hit[run.effectIds[e]] === 1) || hit[run.effectSummary[e]] === 1;
    rows[r] = on ? 1 : 0;
  }
  return rows;
}

function Pane(run, index, container) {
  this.run = prepare(run);
  this.index = index;
  var box = el("div", { class: "pane", "data-pane": String(index) });
  box.appendChild(el("div", { class: "pane-title" }, run.title + "  " + (run.traceHash ? "hash " + run.traceHash : "")));
  this.canvas = el("canvas", { "data-pane": String(index) });
  box.appendChild(this.canvas);
  container.appendChild(box);
  this.left = 0;
  this.follow = null;
  this.lanesShown = [];
  var self = this;
  this.canvas.addEventListener("click", function (ev) { self.click(ev); });
}

Pane.prototype.layout = function () {
  var run = this.run, shown = [];
  for (var i = 0; i < run.lanes.length; i++) if (laneVisible(run, i)) shown.push(i);
  this.lanesShown = shown;
  this.laneX = new Float64Array(run.lanes.length).fill(-1);
  var w = this.canvas.clientWidth - GUTTER;
  this.laneW = Math.max(MIN_LANE, w / Math.max(1, shown.length));
  for (var k = 0; k < shown.length; k++) this.laneX[shown[k]] = GUTTER + (k - this.left) * this.laneW + this.laneW / 2;
};

/** A row's place on the axis: its index, or its virtual ms. */
Pane.prototype.pos = function (row) { return shared.axis === "time" ? this.run.timeMs[row] : row; };
Pane.prototype.y = function (row) { return HEAD + 12 + (this.pos(row) - shared.top) * shared.rowPx; };
function posAt(y) { return shared.top + (y - HEAD - 12) / shared.rowPx; }
/** The row at height y (fractional on the step axis; on the time axis the first row at or after that time). */
Pane.prototype.rowAt = function (y) {
  var p = posAt(y);
  if (shared.axis !== "time") return p;
  var t = this.run.timeMs, lo = 0, hi = t.length;
  while (lo < hi) { var mid = (lo + hi) >> 1; if (t[mid] < p) lo = mid + 1; else hi = mid; }
  return lo;
};

Pane.prototype.draw = function () {
  var c = this.canvas, dpr = window.devicePixelRatio || 1;
  var W = c.clientWidth, H = c.clientHeight;
  if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) { c.width = Math.round(W * dpr); c.height = Math.round(H * dpr); }
  var g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  this.layout();
  var run = this.run, n = run.step.length, self = this;
  var r0 = Math.max(0, Math.floor(this.rowAt(HEAD)) - 1), r1 = Math.min(n - 1, Math.ceil(this.rowAt(H)) + 1);
  if (shared.axis === "time") while (r1 < n - 1 && this.y(r1) <= H) r1++;
  var xOf = function (lane) { var x = self.laneX[lane]; return x < GUTTER - 2 || x > W + 2 ? -1 : x; };
  // Partitions: a band over the lanes they cut.
  g.fillStyle = "rgba(255,140,0,0.13)";
  run.partitions.forEach(function (p) {
    var to = p.toRow < 0 ? n - 1 : p.toRow;
    if (to < r0 || p.fromRow > r1) return;
    p.lanes.forEach(function (l) { var x = xOf(l); if (x >= 0) g.fillRect(x - self.laneW / 2, self.y(p.fromRow), self.laneW, Math.max(2, self.y(to) - self.y(p.fromRow))); });
    g.fillStyle = "rgba(200,100,0,0.9)"; g.font = "10px sans-serif";
    g.fillRect(GUTTER, self.y(p.fromRow), W - GUTTER, 1);
    g.fillText(p.label, GUTTER + 4, self.y(p.fromRow) - 2);
    if (p.toRow >= 0) { g.fillRect(GUTTER, self.y(to), W - GUTTER, 1); g.fillText("healed", GUTTER + 4, self.y(to) + 10); }
    g.fillStyle = "rgba(255,140,0,0.13)";
  });
  // Lives: a lane's line while the node is up; a crash ends it with a cross, an exit with a bar.
  run.lives.forEach(function (life) {
    var x = xOf(life.lane); if (x < 0) return;
    var to = life.toRow < 0 ? n - 1 : life.toRow;
    if (to < r0 || life.fromRow > r1) return;
    g.strokeStyle = KIND_COLOR[run.lanes[life.lane].kind] || "#666"; g.lineWidth = 1.5; g.setLineDash([]);
    g.beginPath(); g.moveTo(x, Math.max(HEAD, self.y(life.fromRow))); g.lineTo(x, Math.min(H, self.y(to))); g.stroke();
    if (life.toRow >= 0 && life.endedBy) {
      var yy = self.y(to);
      g.lineWidth = 2.5;
      if (life.endedBy === "crash") { g.strokeStyle = "#d00"; g.beginPath(); g.moveTo(x - 6, yy - 6); g.lineTo(x + 6, yy + 6); g.moveTo(x + 6, yy - 6); g.lineTo(x - 6, yy + 6); g.stroke(); }
      else { g.strokeStyle = "#333"; g.beginPath(); g.moveTo(x - 6, yy); g.lineTo(x + 6, yy); g.stroke(); }
    }
  });
  // Pauses: the lane greyed.
  g.fillStyle = "rgba(90,90,90,0.28)";
  run.pauses.forEach(function (p) {
    var x = xOf(p.lane); if (x < 0) return;
    var to = p.toRow < 0 ? n - 1 : p.toRow;
    if (to < r0 || p.fromRow > r1) return;
    g.fillRect(x - self.laneW / 2 + 1, self.y(p.fromRow), self.laneW - 2, Math.max(2, self.y(to) - self.y(p.fromRow)));
  });
  // Messages: arrows from send to delivery, styled by fate; at most ARROWS_MAX per frame.
  var ARROWS_MAX = 30000, drawn = 0, seen = new Set(), skipped = 0, fol = this.follow;
  for (var bk = r0 >> 9; bk <= (r1 >> 9); bk++) {
    var list = run._buckets.get(bk); if (!list) continue;
    for (var q = 0; q < list.length; q++) {
      var m = list[q]; if (seen.has(m)) continue; seen.add(m);
      var s = run.msgSend[m], d = run.msgRecv[m], fate = FATES[run.msgFate[m]];
      if (fol && !((s >= 0 && fol[s]) || (d >= 0 && fol[d]))) continue;
      var x1 = xOf(run.msgFrom[m]), x2 = xOf(run.msgTo[m]);
      if (x1 < 0 && x2 < 0) continue;
      if (drawn >= ARROWS_MAX) { skipped++; continue; }
      drawn++;
      var st = FATE_STYLE[fate];
      g.strokeStyle = st.color; g.setLineDash(st.dash); g.lineWidth = fate === "delivered" ? 1 : 1.6;
      var ys = self.y(s >= 0 ? s : d - 1), ax = x1 < 0 ? (x2 < 0 ? 0 : x2) : x1;
      if (fate === "lost") {
        var ex = x2 < 0 ? ax + 30 : ax + (x2 - ax) * 0.6, ey = ys + 14;
        g.beginPath(); g.moveTo(ax, ys); g.lineTo(ex, ey); g.stroke();
        g.setLineDash([]); g.beginPath(); g.moveTo(ex - 4, ey - 4); g.lineTo(ex + 4, ey + 4); g.moveTo(ex + 4, ey - 4); g.lineTo(ex - 4, ey + 4); g.stroke();
        continue;
      }
      var yd = self.y(d), bx = x2 < 0 ? ax : x2;
      g.beginPath(); g.moveTo(ax, ys); g.lineTo(bx, yd); g.stroke();
      if (Math.abs(yd - ys) >= 2 || shared.rowPx >= 2) { var ang = Math.atan2(yd - ys, bx - ax); g.setLineDash([]); g.beginPath(); g.moveTo(bx, yd); g.lineTo(bx - 6 * Math.cos(ang - 0.4), yd - 6 * Math.sin(ang - 0.4)); g.moveTo(bx, yd); g.lineTo(bx - 6 * Math.cos(ang + 0.4), yd - 6 * Math.sin(ang + 0.4)); g.stroke(); }
    }
  }
  g.setLineDash([]);
  // Steps: a dot per step (one per lane and pixel when zoomed out).
  var lastY = new Float64Array(run.lanes.length).fill(-1e9);
  for (var r = r0; r <= r1; r++) {
    var lane = run.lane[r], x3 = xOf(lane); if (x3 < 0) continue;
    var y3 = self.y(r);
    if (y3 - lastY[lane] < 1) continue;
    lastY[lane] = y3;
    g.fillStyle = fol ? (fol[r] ? "#000" : "rgba(0,0,0,0.12)") : "#222";
    var rad = shared.rowPx >= 4 || shared.axis === "time" ? 2.5 : 1.5;
    g.fillRect(x3 - rad, y3 - rad, rad * 2, rad * 2);
  }
  // Leader changes.
  run.leaders.forEach(function (ld) {
    var x = xOf(ld.lane); if (x < 0 || ld.row < r0 - 5 || ld.row > r1 + 5) return;
    var yy = self.y(ld.row);
    g.fillStyle = ld.what === "elected" ? "#e3b341" : "#777";
    g.beginPath(); g.moveTo(x, yy - 7); g.lineTo(x + 7, yy); g.lineTo(x, yy + 7); g.lineTo(x - 7, yy); g.closePath(); g.fill();
    g.fillStyle = "#6b4e00"; g.font = "bold 10px sans-serif"; g.fillText(ld.what === "elected" ? "leader" : "revoked", x + 9, yy + 3);
  });
  // Fault notes on the lane they act on.
  g.font = "10px sans-serif";
  run.faults.forEach(function (f) {
    if (f.row < r0 || f.row > r1) return;
    var x = f.lane >= 0 ? xOf(f.lane) : GUTTER + 4; if (x < 0) return;
    g.fillStyle = "#a0168a"; g.fillText(f.text.slice(0, 60), x + 8, self.y(f.row) - 3);
  });
  // Violations: a red band across the run at their step.
  run.violations.forEach(function (v) {
    if (v.row < r0 - 2 || v.row > r1 + 2) return;
    var yy = self.y(v.row);
    g.fillStyle = v.weakness ? "rgba(230,170,0,0.35)" : "rgba(220,0,0,0.25)";
    g.fillRect(GUTTER, yy - 4, W - GUTTER, 8);
    g.fillStyle = v.weakness ? "#8a6200" : "#b00000"; g.font = "bold 11px sans-serif";
    g.fillText((v.weakness ? "weakness " : "VIOLATION ") + v.check, GUTTER + 4, yy - 6);
  });
  // The first difference (diff view) and the selected step.
  if (DATA.divergence !== null && DATA.divergence !== undefined) {
    var dr = DATA.divergence.rows[this.index];
    if (dr >= r0 - 2 && dr <= r1 + 2) { g.fillStyle = "rgba(255,200,0,0.45)"; g.fillRect(GUTTER, this.y(dr) - 5, W - GUTTER, 10); }
  }
  var sel = shared.selected;
  if (sel && sel.pane === this.index && sel.row >= r0 && sel.row <= r1) {
    var sx = xOf(run.lane[sel.row]);
    g.strokeStyle = "#0969da"; g.lineWidth = 2; g.strokeRect(GUTTER, this.y(sel.row) - 4, W - GUTTER, 8);
    if (sx >= 0) { g.beginPath(); g.arc(sx, this.y(sel.row), 6, 0, 7); g.stroke(); }
  }
  // Time gutter and lane names (drawn last: they stay on top).
  g.fillStyle = "#f0f2f5"; g.fillRect(0, 0, GUTTER, H); g.fillRect(0, 0, W, HEAD);
  g.fillStyle = "#555"; g.font = "10px ui-monospace, monospace";
  for (var ty = HEAD + 30; ty < H; ty += 40) {
    var label = shared.axis === "time" ? posAt(ty) : run.timeMs[Math.min(n - 1, Math.max(0, Math.round(posAt(ty))))];
    g.fillText((label / 1000).toFixed(3) + "s", 2, ty + 3);
  }
  g.save(); g.font = "10px sans-serif";
  for (var k = 0; k < this.lanesShown.length; k++) {
    var li = this.lanesShown[k], lx = xOf(li); if (lx < 0) continue;
    g.save(); g.translate(lx, HEAD - 3); g.rotate(-0.5);
    g.fillStyle = KIND_COLOR[run.lanes[li].kind] || "#333"; g.fillText(run.lanes[li].name.slice(0, 22), 0, 0); g.restore();
  }
  g.restore();
  this.lastWindow = { r0: r0, r1: r1, arrows: drawn, skipped: skipped };
};

Pane.prototype.click = function (ev) {
  var rect = this.canvas.getBoundingClientRect(), x = ev.clientX - rect.left, y = ev.clientY - rect.top;
  var run = this.run, best = -1, bestD = 1e9;
  var lane = -1, ld = 1e9;
  for (var k = 0; k < this.lanesShown.length; k++) { var li = this.lanesShown[k], dx = Math.abs(this.laneX[li] - x); if (dx < ld) { ld = dx; lane = li; } }
  if (lane < 0 || ld > this.laneW / 2 + 2) return;
  var a = Math.max(0, Math.floor(this.rowAt(y - 8))), b = Math.min(run.step.length - 1, Math.ceil(this.rowAt(y + 8)));
  for (var r = a; r <= b; r++) if (run.lane[r] === lane) { var d = Math.abs(this.y(r) - y); if (d < bestD) { bestD = d; best = r; } }
  if (best >= 0) select(this.index, best, false);
};

/** A deep copy of plain data. */
function copy(v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); }

function applyChanges(state, changes) {
  for (var i = 0; i < changes.length; i++) {
    var c = changes[i], path = c[0];
    if (path.length === 0) { state = c.length === 2 ? copy(c[1]) : undefined; continue; }
    var parent = state;
    for (var p = 0; p < path.length - 1; p++) parent = parent[path[p]];
    var last = path[path.length - 1];
    if (c.length === 2) parent[last] = copy(c[1]);
    else if (Array.isArray(parent)) parent.length = Math.min(parent.length, last);
    else delete parent[last];
  }
  return state;
}

/** The node's state after the given row (undefined before its init), by replaying its steps' changes. */
function stateAfter(run, row) {
  var lane = run.lane[row], s = run._laneStart[lane], e = run._laneStart[lane + 1], rows = run._byLane;
  // Its position among the lane's rows.
  var lo = s, hi = e;
  while (lo < hi) { var mid = (lo + hi) >> 1; if (rows[mid] < row) lo = mid + 1; else hi = mid; }
  var end = lo; // rows[end] === row
  var cache = run._stateCache, from = s, state;
  if (cache && cache.lane === lane && cache.pos <= end) { from = cache.pos + 1; state = copy(cache.state); }
  else {
    // Start from the latest whole-state change (an init) at or before the row.
    for (var k = end; k >= s; k--) { var cid = run.changes[rows[k]]; if (cid >= 0 && run.strings[cid].indexOf("[[],") === 1) { from = k; break; } }
    state = undefined;
  }
  for (var j = from; j <= end; j++) {
    var id = run.changes[rows[j]];
    if (id < 0) return { missing: true };
    state = applyChanges(state, JSON.parse(run.strings[id]));
  }
  run._stateCache = { lane: lane, pos: end, state: copy(state) };
  return { state: state };
}

/** The row of the node's previous step, or -1. */
function prevRowOfLane(run, row) {
  for (var r = row - 1; r >= 0; r--) if (run.lane[r] === run.lane[row]) return r;
  return -1;
}

function pathText(path) { return path.length === 0 ? "(whole state)" : path.join("."); }
function getPath(v, path) { for (var i = 0; i < path.length; i++) { if (v === undefined || v === null) return undefined; v = v[path[i]]; } return v; }
function short(v) { var s = v === undefined ? "(absent)" : JSON.stringify(v); return s.length > 400 ? s.slice(0, 400) + "..." : s; }

function select(paneIndex, row, scroll) {
  shared.selected = { pane: paneIndex, row: row };
  var pane = panes[paneIndex], run = pane.run;
  if (scroll) {
    var H = pane.canvas.clientHeight;
    shared.top = Math.max(0, pane.pos(row) - (H - HEAD) / shared.rowPx / 2);
  }
  var d = document.getElementById("detail");
  d.textContent = "";
  d.setAttribute("data-pane", String(paneIndex));
  d.setAttribute("data-row", String(row));
  d.setAttribute("data-step", String(run.step[row]));
  d.setAttribute("data-node", run.lanes[run.lane[row]].name);
  d.appendChild(el("h2", { id: "detail-title" }, "step " + run.step[row] + " at " + (run.timeMs[row] / 1000).toFixed(3) + "s on " + run.lanes[run.lane[row]].name));
  run.violations.forEach(function (v) {
    if (v.row !== row) return;
    d.appendChild(el("div", { class: "violation" }, (v.weakness ? "documented Spark weakness (" + v.weakness + "): " : "VIOLATION ") + v.check + ": " + v.detail));
  });
  d.appendChild(el("h3", null, "input: " + str(run, run.summary[row])));
  var inputJson = str(run, run.input[row]);
  d.appendChild(el("pre", { id: "detail-input" }, inputJson === null ? "(detail not kept)" : JSON.stringify(JSON.parse(inputJson), null, 1)));
  d.appendChild(el("h3", null, "effects (" + (run.effectStart[row + 1] - run.effectStart[row]) + ")"));
  var ul = el("ul", { id: "detail-effects" });
  for (var e = run.effectStart[row]; e < run.effectStart[row + 1]; e++) {
    var li = el("li", null, str(run, run.effectSummary[e]));
    var ej = str(run, run.effectIds[e]);
    if (ej !== null) li.title = ej;
    ul.appendChild(li);
  }
  d.appendChild(ul);
  var changesId = run.changes[row];
  if (changesId < 0) {
    d.appendChild(el("p", { class: "note" }, run.statesNote || "no state recorded for this step"));
  } else {
    var changes = JSON.parse(run.strings[changesId]);
    var prev = prevRowOfLane(run, row);
    var whole = changes.length === 1 && changes[0][0].length === 0;
    var before = whole ? { state: undefined } : prev >= 0 ? stateAfter(run, prev) : { state: undefined };
    var after = stateAfter(run, row);
    d.appendChild(el("h3", null, "state: " + changes.length + " changed field" + (changes.length === 1 ? "" : "s") + (whole ? " (a fresh state: init or restart)" : "")));
    var table = el("table", { id: "detail-changes" });
    var hdr = el("tr"); hdr.appendChild(el("td", null, "field")); hdr.appendChild(el("td", null, "before")); hdr.appendChild(el("td", null, "after")); table.appendChild(hdr);
    changes.slice(0, 300).forEach(function (c) {
      var tr = el("tr", { class: "changed" });
      tr.appendChild(el("td", { class: "path" }, pathText(c[0])));
      tr.appendChild(el("td", { class: "before" }, whole ? "(none)" : short(getPath(before.state, c[0]))));
      tr.appendChild(el("td", { class: "after" }, c.length === 2 ? short(c[1]) : "(removed)"));
      table.appendChild(tr);
    });
    d.appendChild(table);
    if (changes.length > 300) d.appendChild(el("p", { class: "note" }, (changes.length - 300) + " more changes"));
    var det1 = el("details"); det1.appendChild(el("summary", null, "state before"));
    det1.appendChild(el("pre", { id: "state-before" }, before.missing ? "(not recorded)" : before.state === undefined ? "(none: the node starts here)" : JSON.stringify(before.state, null, 1)));
    var det2 = el("details"); det2.appendChild(el("summary", null, "state after"));
    det2.appendChild(el("pre", { id: "state-after" }, after.missing ? "(not recorded)" : JSON.stringify(after.state, null, 1)));
    d.appendChild(det1); d.appendChild(det2);
  }
  redraw();
}

var panes = [];
var frame = 0;
function redraw() {
  if (frame) return;
  frame = requestAnimationFrame(function () {
    frame = 0;
    panes.forEach(function (p) { p.draw(); });
    var w = panes[0].lastWindow || { r0: 0, r1: 0, arrows: 0, skipped: 0 };
    document.getElementById("status").textContent = "rows " + w.r0 + "-" + w.r1 + " of " + panes[0].run.step.length + ", " + w.arrows + " arrows" + (w.skipped ? " (" + w.skipped + " more: zoom in)" : "") + ", zoom " + shared.rowPx.toFixed(3) + (shared.axis === "time" ? " px/ms." : " px/step.") + " Wheel scrolls, ctrl+wheel or +/- zooms, shift+wheel pans lanes, click a step.";
    document.body.setAttribute("data-drawn", String(Number(document.body.getAttribute("data-drawn") || 0) + 1));
  });
}

/** The axis' end: the last row, or the last step's virtual ms. */
function maxPos() { return Math.max.apply(null, panes.map(function (p) { return p.pos(p.run.step.length - 1); })); }
function zoom(factor, atY) {
  var y = atY === undefined ? panes[0].canvas.clientHeight / 2 : atY;
  var at = posAt(y);
  shared.rowPx = Math.min(40, Math.max(0.0000005, shared.rowPx * factor));
  shared.top = Math.max(0, at - (y - HEAD - 12) / shared.rowPx);
  redraw();
}

function setup() {
  document.title = "flint view: " + RUNS.map(function (r) { return r.title; }).join(" vs ");
  var container = document.getElementById("panes");
  RUNS.forEach(function (r, i) { panes.push(new Pane(r, i, container)); });
  var v = RUNS[0].verdict;
  var vd = document.getElementById("verdict");
  if (v) { vd.textContent = v.ok ? "PASS" : "FAIL: " + v.reasons.join("; "); vd.className = v.ok ? "verdict-ok" : "verdict-fail"; }
  document.getElementById("source").textContent = RUNS.map(function (r) { return r.source; }).join("  |  ");
  if (DATA.divergence) {
    var b = document.getElementById("banner");
    b.className = "show";
    b.textContent = DATA.divergence.text;
  }
  document.getElementById("lanes").addEventListener("input", function (e) { shared.laneFilter = e.target.value; panes.forEach(function (p) { p.left = 0; }); redraw(); });
  document.getElementById("follow").addEventListener("change", function (e) {
    shared.follow = e.target.value.trim();
    panes.forEach(function (p) { p.follow = followRows(p.run, shared.follow); });
    redraw();
  });
  document.getElementById("zoom-in").onclick = function () { zoom(2); };
  document.getElementById("zoom-out").onclick = function () { zoom(0.5); };
  document.getElementById("fit").onclick = function () { shared.top = 0; shared.rowPx = Math.max(0.0000005, (panes[0].canvas.clientHeight - HEAD - 24) / Math.max(1, maxPos())); redraw(); };
  // The axis: steps evenly spaced, or virtual time (steps of one ms share a height); the middle row stays in view.
  document.getElementById("axis").addEventListener("change", function (e) {
    var p = panes[0], H = p.canvas.clientHeight;
    var a = Math.max(0, Math.floor(p.rowAt(HEAD + 12))), b = Math.min(p.run.step.length - 1, Math.ceil(p.rowAt(H)));
    var middle = Math.round((a + b) / 2);
    shared.axis = e.target.value;
    var span = Math.max(1, p.pos(b) - p.pos(a));
    shared.rowPx = Math.max(0.0000005, (H - HEAD - 12) / span);
    shared.top = Math.max(0, p.pos(middle) - (H - HEAD) / shared.rowPx / 2);
    redraw();
  });
  document.getElementById("next-mark").onclick = function () { jumpMark(1); };
  document.getElementById("prev-mark").onclick = function () { jumpMark(-1); };
  panes.forEach(function (p) {
    p.canvas.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) { zoom(ev.deltaY < 0 ? 1.25 : 0.8, ev.offsetY); return; }
      if (ev.shiftKey) { panes.forEach(function (q) { q.left = Math.max(0, Math.min(q.lanesShown.length - 1, q.left + Math.sign(ev.deltaY || ev.deltaX))); }); redraw(); return; }
      shared.top = Math.max(0, Math.min(maxPos(), shared.top + ev.deltaY / shared.rowPx));
      redraw();
    }, { passive: false });
  });
  window.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.tagName === "INPUT") return;
    if (ev.key === "+" || ev.key === "=") zoom(2);
    else if (ev.key === "-") zoom(0.5);
    else if (ev.key === "PageDown") { shared.top += (panes[0].canvas.clientHeight - HEAD) / shared.rowPx; redraw(); }
    else if (ev.key === "PageUp") { shared.top = Math.max(0, shared.top - (panes[0].canvas.clientHeight - HEAD) / shared.rowPx); redraw(); }
  });
  window.addEventListener("resize", redraw);
  // Open on what matters: the first violation, else the first difference, else the start.
  var first = RUNS[0].violations.filter(function (x) { return !x.weakness; })[0] || RUNS[0].violations[0];
  if (first) select(0, first.row, true);
  else if (DATA.divergence) select(0, DATA.divergence.rows[0], true);
  else redraw();
}

/** Marks to jump between: violations, faults, leader changes, partitions and the first difference. */
function jumpMark(dir) {
  var run = panes[0].run, rows = [];
  run.violations.forEach(function (v) { rows.push(v.row); });
  run.faults.forEach(function (f) { rows.push(f.row); });
  run.leaders.forEach(function (l) { rows.push(l.row); });
  run.partitions.forEach(function (p) { rows.push(p.fromRow); });
  if (DATA.divergence) rows.push(DATA.divergence.rows[0]);
  rows.sort(function (a, b) { return a - b; });
  var cur = shared.selected ? shared.selected.row : -1;
  var next = dir > 0 ? rows.find(function (r) { return r > cur; }) : rows.reverse().find(function (r) { return r < cur; });
  if (next !== undefined) select(0, next, true);
}

setup();
// For tests and tools: where a row and a lane are drawn, and selection by row.
window.flintView = {
  panes: panes,
  rowY: function (pane, row) { return panes[pane].y(row); },
  laneX: function (pane, lane) { return panes[pane].laneX[lane]; },
  select: function (pane, row) { select(pane, row, true); },
  setRowPx: function (px) { shared.rowPx = px; },
  scrollTo: function (row) { shared.top = Math.max(0, panes[0].pos(row) - (panes[0].canvas.clientHeight - HEAD) / shared.rowPx / 2); panes.forEach(function (p) { p.draw(); }); }
};
`;
