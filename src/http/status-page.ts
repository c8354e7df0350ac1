// The status page served at `/`: one HTML document with its style and script inline (no build step, no external
// assets, works offline). The script reads /api/v1/status and /api/v1/pops every few seconds and the explain API on
// demand, and writes every datum with textContent: nothing from the daemon is ever parsed as HTML.
import { createHash } from 'node:crypto';

const STYLE = String.raw`
:root {
  --fg: #1d2329; --muted: #5f6b76; --line: #d8dde2; --bg: #ffffff; --panel: #f5f7f9; --accent: #1f5fa8;
  --ok: #1b7a3d; --ok-bg: #e3f3e8; --warn: #8a5a00; --warn-bg: #fdf1d8; --bad: #a8251c; --bad-bg: #fbe4e2;
  --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
header { display: flex; align-items: baseline; gap: 14px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0; letter-spacing: .01em; }
main { padding: 6px 20px 20px; max-width: 1320px; }
section { margin-top: 16px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 6px; font-weight: 600; }
h3 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); font-weight: 600; }
.muted { color: var(--muted); }
.mono, td.addr { font-family: var(--mono); font-size: 13px; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; font-size: 12px; color: var(--muted); border-bottom-color: #aeb6bf; white-space: nowrap; }
th.num { text-align: right; }
tbody tr:hover { background: #fafbfc; }
td.empty { color: var(--muted); font-style: italic; }
.state { display: inline-block; padding: 0 7px; border-radius: 3px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.state.ok { color: var(--ok); background: var(--ok-bg); }
.state.warn { color: var(--warn); background: var(--warn-bg); }
.state.bad { color: var(--bad); background: var(--bad-bg); }
.figures { display: flex; gap: 28px; flex-wrap: wrap; margin: 0; }
.figures div { min-width: 120px; }
.figures dt { font-size: 12px; color: var(--muted); }
.figures dd { margin: 0; font-size: 18px; font-variant-numeric: tabular-nums; }
.share { display: flex; align-items: center; gap: 8px; justify-content: flex-end; }
.bar { width: 120px; height: 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 2px; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--accent); }
form { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
label { font-weight: 600; }
input[type=text] { font: 14px var(--mono); padding: 5px 8px; width: 300px; border: 1px solid #aeb6bf; border-radius: 3px; }
input[type=text]:focus, button:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { font: inherit; padding: 5px 14px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 3px; cursor: pointer; }
.nowrap { white-space: nowrap; }
td .failing { color: var(--bad); }
.error { color: var(--bad); margin-top: 8px; }
.error:empty { display: none; }
.result { margin-top: 10px; }
.result:not(:empty) { border-left: 3px solid var(--accent); padding: 2px 0 4px 14px; }
.headline { font-size: 16px; margin: 0 0 2px; }
.headline strong { font-size: 17px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.banner { padding: 6px 20px; background: var(--bad-bg); color: var(--bad); }
.banner:empty { display: none; }
footer { padding: 10px 20px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); }
footer a { color: var(--accent); }
@media (min-width: 1100px) { .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 0 28px; } }
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = 5000;

  function $(id) { return document.getElementById(id); }
  /** An element with text (never parsed as HTML), a class, and children. */
  function el(tag, text, cls, children) {
    var e = document.createElement(tag);
    if (text !== null && text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }
  function cell(text, cls) { return el('td', text, cls); }
  function count(n) { return typeof n === 'number' ? n.toLocaleString('en-US') : '-'; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function badge(text, kind) { return el('span', text, 'state ' + kind); }
  function asPath(path) {
    if (!path) return '-';
    if (path.length === 0) return '(empty)';
    return path.map(function (x) { return Array.isArray(x) ? '{' + x.join(',') + '}' : String(x); }).join(' ');
  }
  function age(s) {
    if (s === null || s === undefined) return '-';
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }
  function fillBody(table, rows, columns, emptyText) {
    var body = table.tBodies[0];
    clear(body);
    if (rows.length === 0) {
      var td = cell(emptyText, 'empty');
      td.colSpan = columns;
      body.appendChild(el('tr', null, null, [td]));
      return;
    }
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function getJson(path) {
    return fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
        return body;
      });
    });
  }

  function sessionKind(state) { return state === 'Established' ? 'ok' : state === 'Idle' || state === 'Active' ? 'bad' : 'warn'; }

  function renderStatus(s) {
    $('version').textContent = 'version ' + s.version + ', started ' + s.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    var ready = $('ready');
    clear(ready);
    ready.appendChild(badge(s.ready.ready ? 'ready' : 'loading', s.ready.ready ? 'ok' : 'warn'));
    ready.appendChild(el('span', ' ' + s.ready.reason, 'muted'));
    var ns = s.load.neighbors;
    var loaded = ns.filter(function (n) { return n.tableLoaded; }).length;
    $('rib-v4').textContent = count(s.load.prefixes.ipv4);
    $('rib-v6').textContent = count(s.load.prefixes.ipv6);
    $('eor').textContent = loaded + ' of ' + ns.length;
    var established = ns.filter(function (n) { return n.state === 'Established'; }).length;
    $('established').textContent = established + ' of ' + ns.length;
    $('answers-window').textContent = count(s.answers.total);
    $('answers-caption').textContent = 'Answers, last ' + Math.max(1, Math.round(s.answers.windowSeconds / 60)) + ' min';
    fillBody($('neighbors'), ns.map(function (n) {
      var eor = n.tableLoaded ? badge('received', 'ok') : badge('waiting', n.state === 'Established' ? 'warn' : 'bad');
      var tr = el('tr', null, null, [
        cell(n.address, 'addr'),
        cell(n.description || ''),
        cell(n.pop || '-'),
        el('td', null, null, [badge(n.state, sessionKind(n.state))]),
        cell(count(n.prefixes.ipv4), 'num'),
        cell(count(n.prefixes.ipv6), 'num'),
        el('td', null, null, [eor]),
        cell(n.loadSeconds === null ? '-' : n.loadSeconds.toFixed(2), 'num'),
      ]);
      return tr;
    }), 8, 'No neighbors configured.');
    lastStatus = s;
  }

  function popState(p) {
    if (p.up) return badge('up', 'ok');
    var labels = p.down.map(function (d) {
      if (d === 'down in the configuration') return 'drained (config)';
      if (d.indexOf('check failed') === 0) return 'failing check';
      return d;
    });
    var kind = p.down.every(function (d) { return d === 'drained' || d === 'down in the configuration'; }) ? 'warn' : 'bad';
    return badge(labels.join(', '), kind);
  }

  function renderPops(pops) {
    var byPop = lastStatus ? lastStatus.answers.byPop : {};
    var total = lastStatus ? lastStatus.answers.total : 0;
    fillBody($('pops'), pops.map(function (p) {
      var n = byPop[p.name] || 0;
      var share = total > 0 ? n / total : 0;
      var bar = el('span', null, 'bar');
      bar.setAttribute('aria-hidden', 'true');
      var fill = el('span');
      fill.style.width = (share * 100).toFixed(1) + '%';
      bar.appendChild(fill);
      var shareCell = el('td', null, 'num', [el('div', null, 'share', [bar, el('span', total > 0 ? (share * 100).toFixed(1) + ' %' : '-')])]);
      var check = cell(p.check ? null : '-');
      if (p.check) {
        check.appendChild(el('div', p.check.kind + ' ' + p.check.target, 'mono muted'));
        var verdict = el('div', p.check.up ? 'passing' : 'failing' + (p.check.reason ? ': ' + p.check.reason : ''), p.check.up ? '' : 'failing');
        check.appendChild(verdict);
      }
      var answers = el('td', null, 'mono', [p.ipv4, p.ipv6, p.host].filter(function (x) { return x; }).map(function (x) { return el('div', x); }));
      var sessions = p.neighbors.length === 0 ? '-' : p.neighbors.filter(function (x) { return x.up; }).length + ' of ' + p.neighbors.length + ' up';
      var name = el('td', null, 'nowrap', [el('strong', p.name)]);
      if (p.self) name.appendChild(el('span', ' (self)', 'muted'));
      return el('tr', null, null, [
        name,
        cell('AS' + p.as, 'mono'),
        el('td', null, null, [popState(p)]),
        answers,
        cell(sessions, 'nowrap'),
        check,
        shareCell,
        cell(count(n), 'num'),
      ]);
    }), 8, 'No POPs configured.');
  }

  var lastStatus = null;
  function refresh() {
    Promise.all([getJson('api/v1/status'), getJson('api/v1/pops').catch(function () { return []; })]).then(function (r) {
      renderStatus(r[0]);
      renderPops(r[1]);
      $('banner').textContent = '';
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString('en-GB');
    }).catch(function (e) {
      $('banner').textContent = 'Cannot reach the daemon: ' + e.message + ' (showing the last data; retrying)';
    }).then(function () { setTimeout(refresh, REFRESH_MS); });
  }

  function fact(dl, name, value, cls) {
    dl.appendChild(el('dt', name));
    dl.appendChild(el('dd', value, cls));
  }

  function renderExplanation(e) {
    var out = $('explain-result');
    clear(out);
    var head = el('p', null, 'headline', [el('span', e.address + ' \u2192 ', 'mono'), el('strong', e.pop === null ? 'no POP' : e.pop)]);
    if (e.answer) head.appendChild(el('span', ' (' + e.answer + ')', 'mono'));
    out.appendChild(head);
    out.appendChild(el('p', e.summary));
    var dl = el('dl', null, 'facts');
    fact(dl, 'Decided by', e.decidedBy + ' (rule ' + e.rule + ')');
    fact(dl, 'Matched prefix', e.prefix || 'none', 'mono');
    fact(dl, 'AS path', asPath(e.asPath), 'mono');
    if (e.firstAs !== null && e.firstAs !== undefined) fact(dl, 'First AS', 'AS' + e.firstAs, 'mono');
    if (e.override) fact(dl, 'Override', e.override.prefix + ' \u2192 ' + e.override.pop, 'mono');
    fact(dl, 'Ranking', e.ranking.length > 0 ? e.ranking.join(' > ') : 'none');
    fact(dl, 'ECS scope', '/' + e.scope, 'mono');
    fact(dl, 'Route age', e.ageSeconds === null ? '-' : age(e.ageSeconds) + ' (since ' + e.routeChangedAt + ')');
    out.appendChild(dl);

    out.appendChild(el('h3', 'Candidates'));
    var candidates = e.candidates.slice().sort(function (a, b) { return (a.rank === null ? 1e9 : a.rank) - (b.rank === null ? 1e9 : b.rank); });
    var table = el('table', null, null, [el('thead', null, null, [el('tr', null, null, ['Rank', 'POP', 'AS', 'Pref.', 'State', 'Rule', 'View', 'Note'].map(function (h) {
      var th = el('th', h, h === 'Rank' || h === 'Pref.' ? 'num' : '');
      th.scope = 'col';
      return th;
    }))]), el('tbody')]);
    fillBody(table, candidates.map(function (c) {
      var view = c.view ? c.view.prefix + ' [' + asPath(c.view.asPath) + '] via ' + c.view.neighbor : '-';
      return el('tr', null, null, [
        cell(c.rank === null ? '-' : c.rank, 'num'),
        cell(c.pop),
        cell('AS' + c.as, 'mono'),
        cell(c.preference, 'num'),
        el('td', null, null, [c.up ? badge('up', 'ok') : badge(c.down.join(', '), 'bad')]),
        cell(c.rule || '-'),
        cell(view, 'mono'),
        cell(c.note),
      ]);
    }), 8, 'No POPs configured.');
    out.appendChild(table);

    if (e.paths && e.paths.length > 0) {
      out.appendChild(el('h3', 'Paths for ' + e.prefix + ', best first'));
      var paths = el('table', null, null, [el('thead', null, null, [el('tr', null, null, ['AS path', 'From neighbor', 'Next hop', 'Local pref.', 'MED'].map(function (h) {
        var th = el('th', h, h === 'Local pref.' || h === 'MED' ? 'num' : '');
        th.scope = 'col';
        return th;
      }))]), el('tbody')]);
      fillBody(paths, e.paths.map(function (p) {
        return el('tr', null, null, [
          cell(asPath(p.asPath), 'mono'),
          cell(p.neighbor, 'mono'),
          cell(p.nextHop || '-', 'mono'),
          cell(p.localPref === null || p.localPref === undefined ? '-' : p.localPref, 'num'),
          cell(p.med === null || p.med === undefined ? '-' : p.med, 'num'),
        ]);
      }), 5, '');
      out.appendChild(paths);
    }
  }

  $('explain-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var addr = $('explain-addr').value.trim();
    $('explain-error').textContent = '';
    if (addr === '') {
      $('explain-error').textContent = 'Type an IPv4 or IPv6 address.';
      return;
    }
    $('explain-result').setAttribute('aria-busy', 'true');
    getJson('api/v1/explain?addr=' + encodeURIComponent(addr)).then(renderExplanation).catch(function (e) {
      clear($('explain-result'));
      $('explain-error').textContent = e.message;
    }).then(function () { $('explain-result').removeAttribute('aria-busy'); });
  });

  refresh();
})();
`;

const BODY = String.raw`
<header>
  <h1>supersparrow</h1>
  <span id="ready" role="status"></span>
  <span id="version" class="muted"></span>
  <span id="updated" class="muted"></span>
</header>
<div id="banner" class="banner" role="alert"></div>
<main>
  <section aria-labelledby="h-load">
    <h2 id="h-load">Table</h2>
    <dl class="figures">
      <div><dt>Loc-RIB IPv4 prefixes</dt><dd id="rib-v4">-</dd></div>
      <div><dt>Loc-RIB IPv6 prefixes</dt><dd id="rib-v6">-</dd></div>
      <div><dt>Sessions Established</dt><dd id="established">-</dd></div>
      <div><dt>End-of-RIB received</dt><dd id="eor">-</dd></div>
      <div><dt id="answers-caption">Answers</dt><dd id="answers-window">-</dd></div>
    </dl>
  </section>
  <section aria-labelledby="h-neighbors">
    <h2 id="h-neighbors">Neighbors</h2>
    <table id="neighbors" aria-labelledby="h-neighbors">
      <thead><tr>
        <th scope="col">Address</th><th scope="col">Description</th><th scope="col">POP</th><th scope="col">State</th>
        <th scope="col" class="num">IPv4 prefixes</th><th scope="col" class="num">IPv6 prefixes</th>
        <th scope="col">End-of-RIB</th><th scope="col" class="num">Load (s)</th>
      </tr></thead>
      <tbody><tr><td colspan="8" class="empty">Loading…</td></tr></tbody>
    </table>
  </section>
  <section aria-labelledby="h-pops">
    <h2 id="h-pops">POPs</h2>
    <table id="pops" aria-labelledby="h-pops">
      <thead><tr>
        <th scope="col">POP</th><th scope="col">AS</th><th scope="col">State</th><th scope="col">Answers</th>
        <th scope="col">Sessions</th><th scope="col">Health check</th>
        <th scope="col" class="num">Share of answers</th><th scope="col" class="num">Count</th>
      </tr></thead>
      <tbody><tr><td colspan="8" class="empty">Loading…</td></tr></tbody>
    </table>
  </section>
  <section aria-labelledby="h-explain">
    <h2 id="h-explain">Explain a decision</h2>
    <form id="explain-form" novalidate>
      <label for="explain-addr">Client address</label>
      <input type="text" id="explain-addr" name="addr" autocomplete="off" spellcheck="false" placeholder="192.0.2.1 or 2001:db8::1">
      <button type="submit">Explain</button>
    </form>
    <div id="explain-error" class="error" role="alert"></div>
    <div id="explain-result" class="result" aria-live="polite"></div>
  </section>
</main>
<footer>JSON: <a href="api/v1/status">status</a> · <a href="api/v1/neighbors">neighbors</a> · <a href="api/v1/pops">pops</a> · <a href="readyz">readyz</a> · <a href="metrics">metrics</a></footer>
`;

/** The status page, whole. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>supersparrow status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Only the page's own inline style and script run, and it talks only to its own origin. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
