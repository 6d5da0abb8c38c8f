"""The explorer page's CSS and JavaScript (inlined by ``page.py``; no network, no library).

The script reads ``TG_DATA`` (written by ``page.py``): ``nodes`` (id, kind, name, its op's
entry in ``kinds`` (rule, derivatives), the payload of its value and the step it appears at,
its gradient events ``[step, payload]``, the SVG elements to light up), ``steps`` (phase, active node, title; backward steps also the
incoming gradient and the gradient sent to each input) and ``payloads``. Step ``k`` shows every
value computed by then and, for every node, the last gradient event at or before ``k``.

``window.tgExplorer`` = ``{steps, goTo(k), next(), prev(), state()}``; ``state()`` returns
``{phase, step, active, values, grads}`` (values and gradients shown now, for tensors of up to
64 elements, as flat lists of numbers).
"""

STYLE = r"""
:root { --active: #fde047; --hot: #b91c1c; --fwd: #2563eb; --bwd: #dc2626; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
       sans-serif; color: #111827; background: #fff; }
#tg-app { display: flex; flex-direction: column; height: 100vh; }
#tg-header { padding: 6px 12px 0; }
#tg-header h1 { font-size: 17px; margin: 0; }
#tg-notes { margin: 2px 0 0; color: #92400e; font-size: 12px; }
#tg-notes:empty { display: none; }
#tg-controls { display: flex; align-items: center; gap: 6px; padding: 6px 12px;
               border-bottom: 1px solid #e5e7eb; flex-wrap: wrap; }
#tg-controls button { font-size: 15px; min-width: 34px; padding: 2px 8px; cursor: pointer;
                      border: 1px solid #9ca3af; border-radius: 5px; background: #f9fafb; }
#tg-controls button:hover { background: #eef2ff; }
#tg-controls button:disabled { opacity: 0.4; cursor: default; }
#tg-slider { flex: 1 1 200px; min-width: 120px; }
#tg-counter { font-variant-numeric: tabular-nums; color: #374151; min-width: 190px; }
#tg-main { display: flex; flex: 1; min-height: 0; }
#tg-graph { flex: 1 1 auto; overflow: auto; padding: 4px; }
#tg-controls button svg { fill: #1f2937; vertical-align: -2px; }
#tg-side { flex: 0 0 430px; overflow: auto; border-left: 1px solid #e5e7eb; padding: 8px 12px;
           background: #fcfcfd; }
#tg-side h2 { font-size: 15px; margin: 4px 0 6px; }
#tg-details { border-top: 2px solid #9ca3af; margin-top: 12px; padding-top: 4px; }
#tg-details-close { float: right; cursor: pointer; border: 0; background: none;
                    font-size: 16px; }
#tg-side h3 { font-size: 13px; margin: 10px 0 3px; color: #374151; }
.tg-phase { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
            color: #fff; background: var(--fwd); margin-right: 6px; vertical-align: 1px; }
.tg-phase.backward { background: var(--bwd); }
.tg-rule { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
           background: #f3f4f6; padding: 4px 6px; border-radius: 4px; margin: 2px 0; }
pre.tg-num { font: 12px/1.35 "DejaVu Sans Mono", Menlo, Consolas, monospace; margin: 2px 0;
             background: #fff; border: 1px solid #e5e7eb; padding: 3px 5px; overflow-x: auto; }
.tg-muted { color: #6b7280; }
.tg-note { color: #92400e; font-size: 12px; }
.tg-sent { border-left: 3px solid var(--bwd); padding-left: 6px; margin: 6px 0; }
.tg-link { color: #1d4ed8; cursor: pointer; text-decoration: underline dotted; }
.tg-stats { font-size: 12px; }
.tg-stats span { display: inline-block; white-space: nowrap; margin-right: 10px; }
.tg-maps { display: flex; flex-wrap: wrap; gap: 3px; margin: 3px 0; }
.tg-maps canvas { image-rendering: pixelated; border: 1px solid #d1d5db; }
svg .tg-op, svg .tg-tensor { cursor: pointer; }
svg g.node.active { filter: drop-shadow(0 0 3px var(--bwd)); }
svg g.tg-op.active path, svg g.tg-op.active polygon { fill: var(--active); stroke: var(--bwd);
                                                     stroke-width: 2.5px; }
svg g.node.selected { filter: drop-shadow(0 0 4px var(--fwd)); }
svg text.tg-val, svg text.tg-grad { white-space: pre; }
svg text.hot { fill: var(--hot); font-weight: bold; }
svg g.edge.flow-fwd path, svg g.edge.flow-bwd path { stroke-width: 2.6px;
    stroke-dasharray: 8 5; animation: tg-dash 0.9s linear infinite; }
svg g.edge.flow-fwd path { stroke: var(--fwd); }
svg g.edge.flow-bwd path { stroke: var(--bwd); animation-direction: reverse; }
svg g.edge.flow-fwd polygon { fill: var(--fwd); stroke: var(--fwd); }
svg g.edge.flow-bwd polygon { fill: var(--bwd); stroke: var(--bwd); }
@keyframes tg-dash { to { stroke-dashoffset: -26; } }
@media (prefers-reduced-motion: reduce) { svg g.edge path { animation: none !important; } }
"""

SCRIPT = r"""
(function () {
  "use strict";
  const D = TG_DATA, P = D.payloads, NODES = D.nodes, STEPS = D.steps;
  NODES.forEach(n => { if (n.op !== undefined) Object.assign(n, D.kinds[n.op]); });
  const byId = new Map(NODES.map(n => [n.id, n]));
  const $ = id => document.getElementById(id);
  const graph = $("tg-graph");
  const svg = graph.querySelector("svg");
  const valCells = new Map(), gradCells = new Map();
  svg.querySelectorAll("text.tg-val").forEach(t => valCells.set(+t.dataset.node, t));
  svg.querySelectorAll("text.tg-grad").forEach(t => gradCells.set(+t.dataset.node, t));
  let k = 0, timer = null, selected = null, sample = 0;
  const PLAY = '<svg viewBox="0 0 16 16" width="14" height="14"><path d="M4 3v10l8.5-5z"/>' +
               "</svg> play";
  const PAUSE = '<svg viewBox="0 0 16 16" width="14" height="14"><rect x="3.5" y="3" ' +
                'width="3" height="10"/><rect x="9.5" y="3" width="3" height="10"/></svg> pause';

  function esc(s) {
    return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                                '"': "&quot;"})[c]);
  }
  function valueAt(n, step) { return n.value !== null && n.since <= step ? n.value : null; }
  function gradAt(n, step) {
    let found = null;
    for (const ev of n.grads) { if (ev[0] <= step) found = ev; else break; }
    return found;
  }
  function edgesOf(id) {
    return svg.querySelectorAll('g.edge[id^="tg_in_' + id + '_"], g.edge#tg_out_' + id);
  }
  function nameLink(id) {
    const n = byId.get(id);
    return '<span class="tg-link" data-goto-node="' + id + '">' + esc(n.name) + "</span>";
  }

  // ------------------------------------------------------------- numbers, as text and pictures
  function histogram(h) {
    const w = 300, ht = 56, max = Math.max(1, ...h.counts), bw = w / h.counts.length;
    let bars = "";
    h.counts.forEach((c, i) => {
      const bh = Math.round((ht - 2) * c / max);
      bars += '<rect x="' + (i * bw).toFixed(1) + '" y="' + (ht - bh) + '" width="' +
              Math.max(1, bw - 1).toFixed(1) + '" height="' + bh + '" fill="#6b7280"/>';
    });
    return '<svg class="tg-hist" width="' + w + '" height="' + (ht + 14) + '">' + bars +
           '<text x="0" y="' + (ht + 12) + '" font-size="10">' + esc(h.lo) + "</text>" +
           '<text x="' + w + '" y="' + (ht + 12) + '" font-size="10" text-anchor="end">' +
           esc(h.hi) + "</text></svg>";
  }
  function mapsHTML(m, field) {
    const s = Math.min(sample, m.n - 1);
    let head = '<div class="tg-muted">' + (m.signed ? "gradient maps (mid-grey = 0)" :
               "feature maps") + ", each scaled to its own range";
    if (m.across === "samples") {
      head += m.total_c > m.c ? "; the first " + m.c + " of " + m.total_c : "";
    } else {
      if (m.total_n > 1) {
        head += '; sample <select data-sample-for="' + field + '">';
        for (let i = 0; i < m.n; i++)
          head += "<option" + (i === s ? " selected" : "") + ">" + i + "</option>";
        head += "</select> of " + m.total_n;
      }
      head += m.total_c > m.c ? " (its first " + m.c + " of " + m.total_c + " channels)" : "";
    }
    return head + '</div><div class="tg-maps" data-maps="' + field + '"></div>';
  }
  const decoded = new Map();
  function drawMaps(container, m) {
    if (!decoded.has(m)) decoded.set(m, atob(m.data));
    const s = Math.min(sample, m.n - 1), size = m.h * m.w, bytes = decoded.get(m);
    const zoom = Math.max(1, Math.min(4, Math.floor(56 / Math.max(m.h, m.w))));
    container.textContent = "";
    for (let c = 0; c < m.c; c++) {
      const canvas = document.createElement("canvas");
      canvas.width = m.w; canvas.height = m.h;
      canvas.style.width = (m.w * zoom) + "px"; canvas.style.height = (m.h * zoom) + "px";
      canvas.title = "channel " + c;
      const ctx = canvas.getContext("2d"), img = ctx.createImageData(m.w, m.h);
      const base = (s * m.c + c) * size;
      for (let i = 0; i < size; i++) {
        const v = bytes.charCodeAt(base + i);
        img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      container.appendChild(canvas);
    }
  }
  function payloadHTML(pi, field, withMaps) {
    const p = P[pi];
    let out = '<div class="tg-payload" data-field="' + field + '">';
    if (p.f !== undefined)
      out += '<pre class="tg-num">' + esc(p.full !== undefined ? p.full : p.text) + "</pre>";
    if (p.stats) {
      out += '<div class="tg-stats">' + Object.keys(p.stats).map(
        key => "<span>" + esc(key) + " <b>" + esc(p.stats[key]) + "</b></span>").join("") +
        "</div>";
    }
    if (p.hist) out += histogram(p.hist);
    if (p.maps && withMaps) out += mapsHTML(p.maps, field);
    return out + "</div>";
  }
  function fillMaps(root) {
    root.querySelectorAll("[data-maps]").forEach(div => {
      const pi = +div.closest("[data-payload]").dataset.payload;
      drawMaps(div, P[pi].maps);
    });
    root.querySelectorAll("select[data-sample-for]").forEach(sel => {
      sel.addEventListener("change", () => { sample = +sel.value; render(); });
    });
  }
  function block(title, pi, field, withMaps) {
    return '<div data-payload="' + pi + '"><h3>' + title + "</h3>" +
           payloadHTML(pi, field, withMaps) + "</div>";
  }

  // ------------------------------------------------------------- the step panel
  function stepPanel(st) {
    const phase = '<span class="tg-phase ' + st.phase + '">' + st.phase + "</span>";
    $("tg-step-title").innerHTML = phase + esc(st.title);
    if (st.active === null) {
      $("tg-step-body").innerHTML = '<p class="tg-muted">Press ▶ (or →) to compute the graph ' +
        "forward, one operation at a time; then backward, in the order the engine ran it. " +
        "Click any node for its numbers.</p>";
      return;
    }
    const n = byId.get(st.active);
    let h = '<div class="tg-rule">' + esc(n.rule) + "</div>";
    n.derivatives.forEach(d => { h += '<div class="tg-rule">' + esc(d) + "</div>"; });
    if (st.phase === "forward") {
      n.inputs.forEach(inp => {
        if (inp.id === null) return;
        const v = valueAt(byId.get(inp.id), STEPS.length);
        h += v === null ? "<h3>" + esc(inp.slot) + " = " + nameLink(inp.id) +
             ' <span class="tg-muted">(not kept by the graph)</span></h3>' :
             block(esc(inp.slot) + " = " + nameLink(inp.id), v, "input", true);
      });
      const v = valueAt(n, k);
      h += v === null ? '<h3>result: <span class="tg-muted">not kept by the graph (name it ' +
           "in params= to see it)</span></h3>" :
           '<div data-active-value="' + n.id + '">' + block("result " + nameLink(n.id), v,
           "value", true) + "</div>";
    } else {
      const root = byId.get(D.root).name;
      h += '<div data-incoming="' + n.id + '">' + block("incoming: d" + esc(root) + "/d(" +
           nameLink(n.id) + ")" + (st.parts > 1 ? ' <span class="tg-muted">(sum of ' +
           st.parts + " gradients)</span>" : ""), st.incoming, "incoming", true) + "</div>";
      if (!st.sent.length) h += '<p class="tg-muted">No input needs a gradient.</p>';
      st.sent.forEach(s => {
        const to = byId.get(s.to);
        h += '<div class="tg-sent" data-sent-to="' + s.to + '">' +
             block("→ " + esc(s.slot) + " = " + nameLink(s.to) + ": d" + esc(root) + "/d(" +
                   esc(to.name) + ")", s.grad, "sent", true);
        if (s.broadcast) h += '<div class="tg-note">' + esc(s.broadcast) + "</div>";
        if (to.leaf) {
          const ev = gradAt(to, k), count = to.grads.filter(e => e[0] <= k).length;
          h += '<div class="tg-note" data-accumulated="' + s.to + '">' + esc(to.name) +
               " is a leaf: added into " + esc(to.name) + ".grad" + (to.grads.length > 1 ?
               " (" + count + " of " + to.grads.length + " contributions so far)" : "") +
               "</div>" + payloadHTML(ev[1], "accumulated", false);
        }
        h += "</div>";
      });
    }
    $("tg-step-body").innerHTML = h;
    fillMaps($("tg-step-body"));
  }

  // ------------------------------------------------------------- a node's details
  function details(id) {
    const n = byId.get(id);
    const box = $("tg-details");
    box.hidden = false;
    box.dataset.node = id;
    $("tg-details-title").innerHTML = esc(n.name) + ' <span class="tg-muted">(' +
      esc(n.missing ? "input not kept by the graph" : n.label ? "result of " + n.label :
          n.kind) + ")</span>";
    let h = "<div>shape <b>" + (n.shape === null ? "?" : "(" + n.shape.join(", ") + ")") +
            "</b> &nbsp; dtype <b>" + esc(n.dtype || "?") + "</b></div>";
    if (n.rule !== undefined) h += '<div class="tg-rule">' + esc(n.rule) + "</div>";
    const v = valueAt(n, k);
    if (v !== null) h += block("data", v, "data", true);
    else h += '<h3>data <span class="tg-muted">' + (n.value === null ?
              "not kept by the graph" : "not computed yet") + "</span></h3>";
    const ev = gradAt(n, k);
    const what = n.leaf ? ".grad" : "grad";
    if (ev) h += block(what + (n.grads.length > 1 ? ' <span class="tg-muted">(' +
                 n.grads.filter(e => e[0] <= k).length + " of " + n.grads.length +
                 " contributions)</span>" : ""), ev[1], "grad", true);
    else h += "<h3>" + what + ' <span class="tg-muted">' + (n.grads.length ?
              "none yet" : "none (needs no gradient, or none reached it)") + "</span></h3>";
    $("tg-details-body").innerHTML = h;
    fillMaps($("tg-details-body"));
    svg.querySelectorAll("g.node.selected").forEach(g => g.classList.remove("selected"));
    svg.querySelectorAll('g.node[data-node="' + id + '"]').forEach(
      g => g.classList.add("selected"));
  }

  // ------------------------------------------------------------- one step
  function render() {
    const st = STEPS[k];
    svg.querySelectorAll("g.active").forEach(g => g.classList.remove("active"));
    svg.querySelectorAll("g.flow-fwd, g.flow-bwd").forEach(
      g => g.classList.remove("flow-fwd", "flow-bwd"));
    if (st.active !== null) {
      const n = byId.get(st.active);
      let first = null;
      n.dom.forEach(domId => {
        const el = document.getElementById(domId);
        if (el) { el.classList.add("active"); first = first || el; }
      });
      edgesOf(st.active).forEach(
        e => e.classList.add(st.phase === "forward" ? "flow-fwd" : "flow-bwd"));
      if (first && first.scrollIntoView) first.scrollIntoView({block: "nearest",
                                                                inline: "nearest"});
    }
    valCells.forEach((t, id) => {
      const v = valueAt(byId.get(id), k);
      t.textContent = v === null ? "·" : P[v].text;
    });
    gradCells.forEach((t, id) => {
      const ev = gradAt(byId.get(id), k);
      t.textContent = ev ? P[ev[1]].text : "·";
      t.classList.toggle("hot", !!ev && ev[0] === k && k > 0);
    });
    stepPanel(st);
    if (selected !== null) details(selected);
    $("tg-slider").value = k;
    const within = st.phase === "forward" ? k + " / " + D.forward :
                   (k - D.forward) + " / " + (STEPS.length - 1 - D.forward);
    $("tg-counter").textContent = "step " + k + " of " + (STEPS.length - 1) + " · " +
                                  st.phase + " " + within;
    $("tg-first").disabled = $("tg-prev").disabled = k === 0;
    $("tg-next").disabled = $("tg-last").disabled = k === STEPS.length - 1;
  }
  function goTo(i) {
    i = Math.max(0, Math.min(STEPS.length - 1, Math.round(Number(i)) || 0));
    k = i;
    render();
    return k;
  }
  function next() { return goTo(k + 1); }
  function prev() { return goTo(k - 1); }
  function play() {
    if (timer !== null) { stop(); return; }
    if (k === STEPS.length - 1) goTo(0);
    $("tg-play").innerHTML = PAUSE;
    timer = setInterval(() => { if (k >= STEPS.length - 1) stop(); else next(); },
                        1000 / Number($("tg-speed").value));
  }
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("tg-play").innerHTML = PLAY;
  }
  function state() {
    const st = STEPS[k], values = {}, grads = {};
    NODES.forEach(n => {
      const v = valueAt(n, k);
      if (v !== null && P[v].f) values[n.id] = P[v].f.slice();
      const ev = gradAt(n, k);
      if (ev && P[ev[1]].f) grads[n.id] = P[ev[1]].f.slice();
    });
    return {phase: st.phase, step: k, active: st.active, values: values, grads: grads};
  }

  // ------------------------------------------------------------- wiring
  $("tg-slider").max = STEPS.length - 1;
  $("tg-play").innerHTML = PLAY;
  const natural = svg.getBoundingClientRect();
  let fitted = false;
  function fit(on) {   // the whole graph if it reads at 60% or more, else the full width
    fitted = on;
    const cw = graph.clientWidth - 12, ch = graph.clientHeight - 12;
    const whole = Math.min(cw / natural.width, ch / natural.height);
    const scale = !on ? 1 : whole >= 0.6 ? Math.min(1, whole) : Math.min(1, cw / natural.width);
    svg.style.width = (natural.width * scale) + "px";
    svg.style.height = (natural.height * scale) + "px";
    $("tg-fit").textContent = on ? "full size" : "fit";
  }
  fit(natural.width > graph.clientWidth || natural.height > graph.clientHeight);
  $("tg-details-close").addEventListener("click", () => {
    selected = null;
    $("tg-details").hidden = true;
    svg.querySelectorAll("g.node.selected").forEach(g => g.classList.remove("selected"));
  });
  $("tg-notes").textContent = D.notes.join(" ");
  $("tg-first").addEventListener("click", () => { stop(); goTo(0); });
  $("tg-prev").addEventListener("click", () => { stop(); prev(); });
  $("tg-next").addEventListener("click", () => { stop(); next(); });
  $("tg-last").addEventListener("click", () => { stop(); goTo(STEPS.length - 1); });
  $("tg-play").addEventListener("click", play);
  $("tg-speed").addEventListener("change", () => { if (timer !== null) { stop(); play(); } });
  $("tg-slider").addEventListener("input", e => { stop(); goTo(e.target.value); });
  $("tg-fit").addEventListener("click", () => fit(!fitted));
  document.addEventListener("keydown", e => {
    const tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;   // the button's own
    const keys = {ArrowRight: next, ArrowLeft: prev, Home: () => goTo(0),
                  End: () => goTo(STEPS.length - 1), " ": play};
    if (keys[e.key]) { e.preventDefault(); if (e.key !== " ") stop(); keys[e.key](); }
  });
  svg.querySelectorAll("g.node[data-node]").forEach(g => {
    g.addEventListener("click", () => { selected = +g.dataset.node; details(selected); });
  });
  document.addEventListener("click", e => {
    const link = e.target.closest && e.target.closest("[data-goto-node]");
    if (link) { selected = +link.dataset.gotoNode; details(selected); }
  });
  window.tgExplorer = {steps: STEPS.length, goTo: goTo, next: next, prev: prev, state: state,
                       nodes: NODES.map(n => ({id: n.id, name: n.name, kind: n.kind,
                                               shape: n.shape}))};
  render();
})();
"""
