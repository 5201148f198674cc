/* Pacte Assistant — the corpus's markup (markdown and a little HTML, from PDF conversions) shown as what
   it means: italics, bold, superscripts, footnote calls, list items, links, table cells.

   Safety: corpus and user text is never parsed as HTML. A small tokenizer recognises a whitelist of
   constructs and the page builds DOM nodes for them with createElement/textContent; anything else that
   looks like a tag is dropped, every other character is text. Links keep their address only when it is
   http(s) or mailto.

   One line at a time: a file line is the unit of line numbers and citations, and emphasis left open at
   the end of a line (« **Merci … » / « … question** ») is closed there, so nothing raw is ever shown.

   window.PacteMarkup:
     render(line, options) -> DocumentFragment. options:
       mark: [start, end]    raw character range of the line to wrap in <mark> (a quote's words);
       inline: true          breaks and list items become spaces (quotes, answers) instead of <br>;
       note(n, raw) -> Node  builds a footnote call (default: a plain superscript);
       cite(n) -> Node|null  builds a [n] citation marker (default: the text « [n] »).
     plain(text) -> string   the text as rendered, without markup (copies, labels).
     info(line) -> {heading: 0-6, note: n|null, bullet: bool}   what a line is, for its styling.
     calls(line) -> [n, ...] the footnote numbers a line calls.
*/
(function () {
  "use strict";

  var SAFE_HREF = /^(https?:\/\/|mailto:)/i;
  var FORMATS = { i: "i", em: "i", b: "b", strong: "b", sup: "sup", sub: "sub" };
  var BREAKS = { p: true, div: true, br: true, tr: true };
  var TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b([^<>]*)>/;
  var AUTOLINK = /^<((?:https?:\/\/|mailto:)[^<>\s]+)>/i;
  var NOTE_CALL = /^<sup>\s*(\d{1,3})\s*<\/sup>/i;
  var NOTE_LINE = /^\s*<sup>\s*(\d{1,3})\s*<\/sup>/i;
  var LINK = /^\[((?:\\.|[^\]\\])*)\]\(([^()\s]*)\)/;
  var HEADING = /^(#{1,6})\s+/;
  var BULLET = /^\s*([-*+•])\s+/;
  var ESCAPABLE = /[\\`*_{}\[\]()#+\-.!|<>~"']/;

  function info(line) {
    line = line || "";
    var h = HEADING.exec(line);
    var n = NOTE_LINE.exec(line);
    return { heading: h ? h[1].length : 0, note: n ? parseInt(n[1], 10) : null, bullet: !h && BULLET.test(line) };
  }

  // ---- tokens: {t: "text", s, start, end} | {t: "open"/"close", f, href} | {t: "break"} | {t: "bullet"}
  //      | {t: "cell"} | {t: "note", n, start, end} | {t: "cite", n, start, end} | {t: "stars", n, start, end}

  function tokenize(line, withCites) {
    var tokens = [];
    var i = 0;
    var text = "";
    var textStart = 0;
    var inList = 0;
    var linkEnds = {};
    function flush() {
      if (text) tokens.push({ t: "text", s: text, start: textStart, end: textStart + text.length });
      text = "";
    }
    function push(tok) { flush(); tokens.push(tok); }
    function addText(s, start, end) {
      if (end - start !== s.length) { push({ t: "text", s: s, start: start, end: end, atomic: true }); return; }
      if (!text) textStart = start;
      text += s;
    }

    var h = HEADING.exec(line);
    if (h) i = h[0].length;
    var note = NOTE_LINE.exec(line);
    if (note && !h) {
      i = note[0].length + /^\s*/.exec(line.slice(note[0].length))[0].length;
      push({ t: "notedef", n: parseInt(note[1], 10), start: 0, end: i });
    } else if (!h) {
      var b = BULLET.exec(line);
      if (b) { push({ t: "bullet", start: 0, end: b[0].length }); i = b[0].length; }
    }

    while (i < line.length) {
      var rest = line.slice(i);
      var c = line[i];
      var m;
      if (linkEnds[i]) {
        push({ t: "close", f: "a" });
        i = linkEnds[i];
        continue;
      }
      if (c === "\\") {
        // A markdown escape (« \( », « \* »). The conversion sometimes escaped its own escapes
        // (« 16/03\\_0 »): a run of backslashes before punctuation is dropped whole.
        var slashes = /^\\+/.exec(rest)[0].length;
        var after = line[i + slashes];
        if (after !== undefined && after !== "\\" && ESCAPABLE.test(after)) {
          addText(after, i, i + slashes + 1);
          i += slashes + 1;
          continue;
        }
      }
      if (c === "<") {
        if ((m = NOTE_CALL.exec(rest))) {
          push({ t: "note", n: parseInt(m[1], 10), start: i, end: i + m[0].length });
          i += m[0].length;
          continue;
        }
        if ((m = AUTOLINK.exec(rest))) {
          push({ t: "open", f: "a", href: m[1] });
          addText(m[1], i + 1, i + 1 + m[1].length);
          push({ t: "close", f: "a" });
          i += m[0].length;
          continue;
        }
        if ((m = TAG.exec(rest))) {
          var closing = m[1] === "/";
          var name = m[2].toLowerCase();
          if (FORMATS[name]) push({ t: closing ? "close" : "open", f: FORMATS[name] });
          else if (name === "a") {
            var href = /\bhref\s*=\s*"([^"]*)"/i.exec(m[3]);
            push(closing ? { t: "close", f: "a" } : { t: "open", f: "a", href: href ? href[1] : "" });
          } else if (name === "ul" || name === "ol") {
            inList += closing ? -1 : 1;
            if (inList < 0) inList = 0;
            push({ t: "break" });
          } else if (name === "li") {
            if (!closing) push({ t: "bullet" });
          } else if (BREAKS[name]) push({ t: "break" });
          // any other tag is dropped: never shown, never interpreted
          i += m[0].length;
          if (name === "li" && !closing) i += /^\s*(?:•\s*)?/.exec(line.slice(i))[0].length; // « <li>• … »
          continue;
        }
      }
      if (c === "[" && (m = LINK.exec(rest))) {
        push({ t: "open", f: "a", href: m[2] });
        linkEnds[i + 1 + m[1].length] = i + m[0].length; // the "](url)" closes the link
        i += 1;
        continue;
      }
      if (c === "*") {
        var run = /^\*+/.exec(rest)[0].length;
        push({ t: "stars", n: run, start: i, end: i + run, before: line[i - 1], after: line[i + run] });
        i += run;
        continue;
      }
      if (inList && c === "-" && line[i + 1] === " ") {
        push({ t: "bullet", start: i, end: i + 2 });
        i += 2;
        continue;
      }
      if (c === "\t") {
        push({ t: "cell", start: i, end: i + 1 });
        i += 1;
        continue;
      }
      if (withCites && c === "[" && (m = /^\[(\d+)\]/.exec(rest))) {
        push({ t: "cite", n: m[1], start: i, end: i + m[0].length });
        i += m[0].length;
        continue;
      }
      addText(c, i, i + 1);
      i += 1;
    }
    flush();
    return resolveStars(tokens);
  }

  // Emphasis with * and ** (CommonMark's delimiter runs, simplified): a run can open when a non-space
  // follows it, close when a non-space precedes it. Two runs of two or more make bold, else italics.
  // An unmatched ** that can only open makes bold to the end of the line, one that can only close from
  // its start (bold spanning two lines). Any other unmatched star is text: a single one is as often an
  // asterisk note (« Objectifs* », « 4 000* ») as italics across lines.
  function resolveStars(tokens) {
    var stack = [];
    tokens.forEach(function (tok) {
      if (tok.t !== "stars") return;
      var open = tok.after !== undefined && !/\s/.test(tok.after);
      var close = tok.before !== undefined && !/\s/.test(tok.before);
      tok.left = tok.n;
      tok.opens = [];
      tok.closes = [];
      tok.canOpen = open;
      tok.canClose = close;
      if (close) {
        for (var k = stack.length - 1; k >= 0 && tok.left > 0; k--) {
          var opener = stack[k];
          while (opener.left > 0 && tok.left > 0) {
            var use = opener.left >= 2 && tok.left >= 2 ? 2 : 1;
            var f = use === 2 ? "b" : "i";
            opener.opens.unshift(f);
            tok.closes.push(f);
            opener.left -= use;
            tok.left -= use;
          }
          if (opener.left === 0) stack.splice(k, 1);
        }
      }
      if (open && tok.left > 0) stack.push(tok);
    });
    var out = [];
    var openAtStart = [];
    tokens.forEach(function (tok) {
      if (tok.t !== "stars") { out.push(tok); return; }
      tok.closes.forEach(function (f) { out.push({ t: "close", f: f }); });
      if (tok.left >= 2 && tok.canClose && !tok.canOpen) {
        // closes emphasis opened on a previous line
        var f = tok.left >= 2 ? "b" : "i";
        openAtStart.push(f);
        out.push({ t: "close", f: f });
        if (tok.left >= 3) { openAtStart.push("i"); out.push({ t: "close", f: "i" }); }
        tok.left = 0;
      }
      var leftover = tok.left >= 2 && tok.canOpen && !tok.canClose;
      if (tok.left > 0 && !leftover) {
        // neither or both: the stars are text
        out.push({ t: "text", s: new Array(tok.left + 1).join("*"), start: tok.end - tok.left, end: tok.end, atomic: true });
      }
      if (leftover) {
        // opens emphasis that ends on a later line: closed at the end of this one
        if (tok.left >= 3) out.push({ t: "open", f: "i" });
        out.push({ t: "open", f: tok.left >= 2 ? "b" : "i" });
      }
      // « **Titre****Sous-titre** »: two headings glued by the PDF conversion, shown apart.
      if (tok.closes.length && tok.opens.length) out.push({ t: "break" });
      tok.opens.forEach(function (f) { out.push({ t: "open", f: f }); });
    });
    openAtStart.reverse().forEach(function (f) { out.unshift({ t: "open", f: f }); });
    return out;
  }

  // ---- rendering -----------------------------------------------------------------------------------

  function wrap(node, state, options) {
    if (state.sup) node = elWith("sup", node);
    if (state.sub) node = elWith("sub", node);
    if (state.i) node = elWith("em", node);
    if (state.b) node = elWith("strong", node);
    if (state.a !== null && state.a !== undefined) {
      var a;
      if (SAFE_HREF.test(state.a)) {
        a = document.createElement("a");
        a.href = state.a;
        a.rel = "noopener noreferrer";
      } else {
        a = document.createElement("span");
        a.className = "md-link";
      }
      a.appendChild(node);
      node = a;
    }
    if (state.mark) node = elWith("mark", node);
    return node;
  }

  function elWith(tag, child) {
    var e = document.createElement(tag);
    e.appendChild(child);
    return e;
  }

  function sameState(a, b) {
    return a.i === b.i && a.b === b.b && a.sup === b.sup && a.sub === b.sub && a.a === b.a && a.mark === b.mark;
  }

  function render(line, options) {
    options = options || {};
    line = String(line === null || line === undefined ? "" : line);
    var tokens = tokenize(line, !!options.cite);
    var mark = options.mark || null;
    var frag = document.createDocumentFragment();
    var counts = { i: 0, b: 0, sup: 0, sub: 0 };
    var links = [];
    var pending = null; // {text, state} merged while the state does not change
    var started = false; // something visible was written
    var wantBreak = false; // a line break is due before the next visible thing (none at the end)

    function state(marked) {
      return { i: counts.i > 0, b: counts.b > 0, sup: counts.sup > 0, sub: counts.sub > 0,
               a: links.length ? links[links.length - 1] : null, mark: !!marked };
    }
    function flush() {
      if (pending) frag.appendChild(wrap(document.createTextNode(pending.text), pending.state, options));
      pending = null;
    }
    function emitText(s, marked) {
      if (!s || (wantBreak && !s.trim())) return;
      breakNow();
      var st = state(marked);
      if (pending && sameState(pending.state, st)) pending.text += s;
      else { flush(); pending = { text: s, state: st }; }
      started = true;
    }
    function emitNode(node, marked) {
      breakNow();
      flush();
      frag.appendChild(marked ? elWith("mark", node) : node);
      started = true;
    }
    function lineBreak() { if (started) wantBreak = true; }
    function breakNow() {
      if (!wantBreak) return;
      wantBreak = false;
      if (options.inline) emitText(" ", false);
      else { flush(); frag.appendChild(document.createElement("br")); }
    }
    function inMark(start, end) { return !!mark && start < mark[1] && end > mark[0]; }

    tokens.forEach(function (tok) {
      switch (tok.t) {
        case "text":
          if (!mark || tok.atomic) { emitText(tok.s, inMark(tok.start, tok.end)); break; }
          // split at the edges of the marked range
          var cuts = [tok.start, Math.min(Math.max(mark[0], tok.start), tok.end), Math.min(Math.max(mark[1], tok.start), tok.end), tok.end];
          for (var k = 0; k < 3; k++) {
            if (cuts[k + 1] > cuts[k]) emitText(tok.s.slice(cuts[k] - tok.start, cuts[k + 1] - tok.start), k === 1);
          }
          break;
        case "open":
          if (tok.f === "a") links.push(tok.href || "");
          else counts[tok.f] += 1;
          break;
        case "close":
          if (tok.f === "a") links.pop();
          else if (counts[tok.f] > 0) counts[tok.f] -= 1;
          break;
        case "break":
          lineBreak();
          break;
        case "bullet":
          lineBreak();
          var dot = document.createElement("span");
          dot.className = "md-bullet";
          dot.textContent = "•\u00a0";
          emitNode(dot, false);
          break;
        case "cell":
          var cell = document.createElement("span");
          cell.className = "md-cell";
          cell.textContent = " ";
          emitNode(cell, false);
          break;
        case "note":
          var marked = inMark(tok.start, tok.end);
          emitNode(options.note ? options.note(tok.n, line.slice(tok.start, tok.end)) : noteCall(tok.n), marked);
          break;
        case "notedef":
          var def = document.createElement("sup");
          def.className = "md-notedef";
          def.textContent = String(tok.n);
          emitNode(def, false);
          emitText("\u00a0", false);
          break;
        case "cite":
          var node = options.cite ? options.cite(tok.n) : null;
          if (node) emitNode(node, false);
          else emitText("[" + tok.n + "]", inMark(tok.start, tok.end));
          break;
      }
    });
    flush();
    return frag;
  }

  function noteCall(n) {
    var sup = document.createElement("sup");
    sup.className = "md-note";
    sup.textContent = String(n);
    return sup;
  }

  function plain(text) {
    var holder = document.createElement("div");
    String(text || "").split("\n").forEach(function (line, i) {
      if (i) holder.appendChild(document.createTextNode("\n"));
      holder.appendChild(render(line, { inline: true }));
    });
    return holder.textContent;
  }

  function calls(line) {
    var out = [];
    tokenize(line || "", false).forEach(function (tok) { if (tok.t === "note") out.push(tok.n); });
    return out;
  }

  window.PacteMarkup = { render: render, plain: plain, info: info, calls: calls };
})();
