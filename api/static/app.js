/* Pacte Assistant — chat page and contract check. Plain JavaScript, no build step.

   Safety: server and user text is only ever inserted as text nodes (textContent) or, for the corpus's
   markup, as the DOM nodes markup.js builds from a whitelist; never as HTML.

   Tabs: app.js finds them in the page, so adding one touches no code here (see the comment above the
   tab list in index.html). A tab's script (loaded after this one) uses window.Pacte:
     Pacte.onTab(name, fn)     fn(panel) runs each time the tab whose data-tab is `name` is shown;
     Pacte.api(path, options)  fetch with the API key, resolves to JSON, rejects with {message} in French;
     Pacte.postJSON(path, obj), Pacte.el(tag, attrs, children), Pacte.apiKey(), Pacte.showAlert(id, msg), Pacte.hideAlert(id),
     Pacte.setStatus(id, msg, busy), Pacte.openSource(target, opener), Pacte.markup (markup.js).
*/
(function () {
  "use strict";

  var M = window.PacteMarkup;
  var MAX_QUESTION = 2000;
  var MAX_UPLOAD = 2 * 1024 * 1024;
  var HISTORY_TURNS = 6; // previous turns sent with a question, enough for a follow-up
  var CONTEXT_LINES = 4; // lines shown around a cited span (paragraphs are separated by blank lines)
  var SECTION_LINES = 60; // at most this many lines of a suggested section are loaded at first
  var NOTE_LOOKAHEAD = 150; // footnotes sit at the foot of their page: this many lines below a call at most
  var MAX_SUGGESTIONS = 3;
  // How the answer's confidence (0-1) reads: at least 0.75 high, at least 0.5 medium, else low.
  var CONFIDENCE = [[0.75, "élevée", "high"], [0.5, "moyenne", "medium"], [0, "faible", "low"]];

  var VERDICTS = {
    eligible: "Éligible",
    eligible_with_conditions: "Éligible sous conditions",
    excluded: "Exclu",
    not_in_referential: "Hors référentiel"
  };
  var CATEGORIES = {
    eligibility: "Éligibilité",
    indicator: "Indicateurs",
    financial: "Cadre financier",
    procedure: "Procédure",
    other: "Question générale"
  };
  // The report's groups, in reading order: [verdict, heading (n), heading (1), badge].
  var RULE_GROUPS = [
    ["violation", "Violations", "Violation", "Violation"],
    ["warning", "Points à vérifier", "Point à vérifier", "À vérifier"],
    ["info", "Informations", "Information", "Information"],
    ["ok", "Contrôles conformes", "Contrôle conforme", "Conforme"]
  ];

  var history = []; // [{question, answer}]
  var docTitles = {}; // doc_id -> title, learnt from answers, documents and reports
  var lastOpener = null; // element that opened the source panel, to give focus back
  var tabHooks = {};

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "className") node.className = v;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  var uid = 0;
  function newId(prefix) { uid += 1; return prefix + "-" + uid; }

  function formatNumber(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"); }

  function plural(n, one, many) { return formatNumber(n) + " " + (n > 1 ? many : one); }

  function linesLabel(start, end) {
    return start === end ? "ligne " + start : "lignes " + start + " à " + end;
  }

  function capitalize(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }

  // Code points, as the server counts them (an emoji is one character, not two).
  function charCount(text) { return Array.from(text).length; }

  // A document's name for buttons and lists: its title up to « N° », a dash, a parenthesis or « du »
  // (« Pas-de-Calais », « Visio flash ROSS »), its first word if that is still long (« Instruction »).
  function shortTitle(title) {
    var t = String(title || "");
    var cut = t.search(/\s+(?:N°|n°|–|—|-\s|\(|du\s)/);
    if (cut > 0) t = t.slice(0, cut);
    return t.length > 20 ? t.split(/\s+/)[0] : t;
  }

  function titleOf(docId, given) {
    if (given) docTitles[docId] = given;
    return docTitles[docId] || docId;
  }

  // ---- API calls -------------------------------------------------------------------------

  function apiKey() {
    try { return sessionStorage.getItem("pacte-api-key") || ""; } catch (e) { return ""; }
  }

  function ApiError(message, status) { this.message = message; this.status = status; }

  function api(path, options) {
    options = options || {};
    var headers = options.headers || {};
    var key = apiKey();
    if (key) headers["X-API-Key"] = key;
    options.headers = headers;
    return fetch(path, options).then(function (resp) {
      var type = resp.headers.get("content-type") || "";
      var body = type.indexOf("application/json") !== -1 ? resp.json() : resp.text();
      return body.then(function (data) {
        if (resp.ok) return data;
        var detail = data && typeof data === "object" && typeof data.detail === "string" ? data.detail : null;
        if (resp.status === 401) revealApiKey();
        throw new ApiError(detail || "Le serveur a répondu par une erreur (" + resp.status + ").", resp.status);
      }, function () {
        throw new ApiError("Réponse du serveur illisible (" + resp.status + ").", resp.status);
      });
    }, function () {
      throw new ApiError("Le serveur ne répond pas. Vérifiez qu'il est démarré puis réessayez.", 0);
    });
  }

  function postJSON(path, payload) {
    return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
  }

  function revealApiKey() {
    var box = $("api-key-box");
    if (box) box.open = true;
  }

  function showAlert(id, message) {
    var box = $(id);
    box.textContent = "";
    box.appendChild(el("p", { className: "alert__title", text: "Erreur" }));
    box.appendChild(el("p", { text: message }));
    box.hidden = false;
  }

  function hideAlert(id) { var box = $(id); box.hidden = true; box.textContent = ""; }

  function setStatus(id, message, busy) {
    var s = $(id);
    s.textContent = message || "";
    s.classList.toggle("is-busy", !!busy);
  }

  // ---- tabs --------------------------------------------------------------------------------

  function setupTabs() {
    var tabs = Array.prototype.slice.call(document.querySelectorAll('.tabs__list [role="tab"]'));
    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        $(t.getAttribute("aria-controls")).hidden = !on;
      });
      if (focus) tab.focus();
      var hash = "#" + tab.getAttribute("data-tab");
      if (location.hash !== hash) replaceHash(hash);
      (tabHooks[tab.getAttribute("data-tab")] || []).forEach(function (fn) { fn($(tab.getAttribute("aria-controls"))); });
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var next = null;
        if (e.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        else if (e.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (e.key === "Home") next = tabs[0];
        else if (e.key === "End") next = tabs[tabs.length - 1];
        if (next) { e.preventDefault(); select(next, true); }
      });
    });
    function fromAddress() {
      var wanted = tabs.filter(function (t) { return "#" + t.getAttribute("data-tab") === location.hash; })[0];
      if (wanted && wanted.getAttribute("aria-selected") !== "true") select(wanted, false);
    }
    window.addEventListener("hashchange", fromAddress); // a link to « #verifier » opens that tab
    fromAddress();
  }

  function onTab(name, fn) { (tabHooks[name] = tabHooks[name] || []).push(fn); }

  function replaceHash(hash) {
    try { window.history.replaceState(null, "", hash); } catch (e) { /* file:// or sandbox */ }
  }

  // ---- corpus text -----------------------------------------------------------------------------

  // A quote or an answer: its lines rendered one by one (markup.js works per line), joined by spaces.
  function renderText(text, options) {
    var frag = document.createDocumentFragment();
    String(text || "").split("\n").forEach(function (line, i) {
      if (i) frag.appendChild(document.createTextNode(options && options.keepLines ? "\n" : " "));
      frag.appendChild(M.render(line, { inline: true, cite: options && options.cite, note: options && options.note }));
    });
    return frag;
  }

  function oneLine(text) { return M.plain(text).replace(/\s+/g, " ").trim(); }

  // ---- conversation ---------------------------------------------------------------------------

  function citationNumber(c, i) {
    var n = String(c.id === undefined || c.id === null ? "" : c.id).replace(/\D/g, "");
    return n ? n : String(i + 1);
  }

  function citationTarget(c, number) {
    return { kind: "citation", number: number, doc_id: c.doc_id, doc_title: c.doc_title, section_path: c.section_path,
             line_start: c.line_start, line_end: c.line_end, quote: c.quote || "" };
  }

  function citeButton(c, number) {
    var title = titleOf(c.doc_id, c.doc_title);
    return el("button", {
      type: "button",
      className: "cite",
      "aria-expanded": "false",
      "aria-controls": "source-panel",
      "aria-label": "Source " + number + " : " + title + ", " + linesLabel(c.line_start, c.line_end),
      "data-cite": number,
      text: "[" + number + "]",
      onclick: function (e) { openSource(citationTarget(c, number), e.currentTarget); }
    });
  }

  function sourceWhere(c, short) {
    var parts = [titleOf(c.doc_id, c.doc_title)];
    var path = (c.section_path || []).map(oneLine);
    // In lists, the two innermost headings are enough; the panel shows the whole path.
    if (short && path.length > 2) path = ["…"].concat(path.slice(-2));
    if (path.length) parts.push(path.join(" › "));
    return parts.join(" — ") + ", " + linesLabel(c.line_start, c.line_end);
  }

  // An abstention is one sentence (see AskResponse.answer). Older servers followed it with the closest
  // sections as prose; suggestions are links now, so nothing after the first sentence is shown.
  function abstentionMessage(text) {
    var t = String(text || "").trim();
    var end = t.search(/[.!?](\s|$)/);
    return end >= 0 ? t.slice(0, end + 1) : (t || "Le corpus ne le précise pas.");
  }

  function copyText(question, data, numbered) {
    var out = ["Question : " + question, ""];
    var head = "Réponse";
    if (data.abstained) head += " (le corpus ne le précise pas)";
    else if (data.verdict && VERDICTS[data.verdict]) head += " (" + VERDICTS[data.verdict] + ")";
    var confidence = confidenceLevel(data);
    if (confidence) head += " — fiabilité " + confidence[1];
    out.push(head + " :", data.abstained ? abstentionMessage(M.plain(data.answer)) : M.plain(data.answer || ""));
    if (numbered.length) {
      out.push("", "Sources :");
      numbered.forEach(function (item) {
        var c = item.c;
        var line = "[" + item.n + "] " + sourceWhere(c);
        if (c.quote) line += " : « " + oneLine(c.quote) + " »";
        out.push(line);
      });
    }
    return out.join("\n");
  }

  function copyToClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var ta = el("textarea", { className: "visually-hidden", readonly: true, "aria-hidden": "true", tabindex: "-1" });
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) resolve(); else reject(new Error("copie impossible"));
    });
  }

  function confidenceLevel(data) {
    if (data.abstained || typeof data.confidence !== "number" || !isFinite(data.confidence)) return null;
    var value = Math.max(0, Math.min(1, data.confidence));
    for (var i = 0; i < CONFIDENCE.length; i++) if (value >= CONFIDENCE[i][0]) return [value].concat(CONFIDENCE[i].slice(1));
    return null;
  }

  // « Fiabilité : élevée », the number in a disclosure: a tooltip would be out of reach on a phone.
  function confidenceBox(level) {
    var shown = level[0].toFixed(2).replace(".", ",");
    return el("details", { className: "confidence confidence--" + level[2], "data-confidence": String(level[0]) }, [
      el("summary", null, ["Fiabilité : ", el("strong", { text: level[1] })]),
      el("p", { text: "Indice de confiance de l'assistant : " + shown + " sur 1 (élevée à partir de 0,75, moyenne " +
        "à partir de 0,5). Il dit à quel point les passages cités répondent à la question ; relisez-les avant de " +
        "vous y fier." })
    ]);
  }

  // Suggested sections of an abstention: links only, at most three.
  function suggestionList(suggestions) {
    var id = newId("suggestions");
    var list = el("ul", { className: "nearest", "aria-labelledby": id });
    suggestions.slice(0, MAX_SUGGESTIONS).forEach(function (s) {
      var path = (s.section_path || []).map(oneLine);
      var label = (path.length ? path[path.length - 1] : shortTitle(titleOf(s.doc_id, s.doc_title))) +
        " — " + shortTitle(titleOf(s.doc_id, s.doc_title)) + ", l. " + s.line_start + "-" + s.line_end;
      list.appendChild(el("li", null, [el("button", {
        type: "button", className: "link-button", text: label, "aria-controls": "source-panel",
        onclick: function (e) {
          openSource({ kind: "suggestion", doc_id: s.doc_id, doc_title: s.doc_title, section_path: s.section_path,
                       line_start: s.line_start, line_end: s.line_end }, e.currentTarget);
        }
      })]));
    });
    return [el("p", { className: "nearest__title", id: id, text: "Sections du corpus qui s'en approchent :" }), list];
  }

  // A footnote call in a quote: opens the citation in the panel, at the note.
  function quoteNoteLink(target, opener) {
    return function (n) {
      return el("sup", { className: "md-note" }, [el("a", {
        href: "#source-panel", className: "note-call", "aria-label": "Note " + n, text: String(n),
        onclick: function (e) {
          e.preventDefault();
          var t = Object.assign({}, target, { focusNote: n });
          openSource(t, opener() || e.currentTarget);
        }
      })]);
    };
  }

  function renderAnswer(question, data) {
    var citations = data.citations || [];
    var byNumber = {};
    var numbered = citations.map(function (c, i) {
      var n = citationNumber(c, i);
      byNumber[n] = c;
      titleOf(c.doc_id, c.doc_title);
      return { n: n, c: c };
    });

    var article = el("article", { className: "answer", "data-verdict": data.verdict || "", "data-abstained": data.abstained ? "true" : "false" });
    var meta = el("div", { className: "answer__meta" });
    if (data.verdict && VERDICTS[data.verdict] && !data.abstained) {
      meta.appendChild(el("span", { className: "badge badge--" + data.verdict, text: VERDICTS[data.verdict] }));
    }
    if (data.category && CATEGORIES[data.category]) {
      meta.appendChild(el("span", { className: "answer__category", text: CATEGORIES[data.category] }));
    }
    var level = confidenceLevel(data);
    if (level) meta.appendChild(confidenceBox(level));
    if (meta.childNodes.length) article.appendChild(meta);
    if (data.resolved_question && data.resolved_question !== question) {
      article.appendChild(el("p", { className: "answer__resolved", text: "Question comprise comme : « " + oneLine(data.resolved_question) + " »" }));
    }

    if (data.abstained) {
      var notice = el("div", { className: "notice notice--abstained" }, [
        el("p", { className: "notice__title" }, [renderText(abstentionMessage(data.answer))])
      ]);
      var suggestions = Array.isArray(data.suggestions) ? data.suggestions.filter(function (s) { return s && s.doc_id; }) : [];
      if (suggestions.length) suggestionList(suggestions).forEach(function (n) { notice.appendChild(n); });
      article.appendChild(notice);
    } else {
      var text = el("p", { className: "answer__text" });
      text.appendChild(renderText(data.answer || "", {
        keepLines: true,
        cite: function (n) { return byNumber[n] ? citeButton(byNumber[n], n) : null; }
      }));
      article.appendChild(text);
    }

    if (numbered.length) {
      var headingId = newId("sources");
      article.appendChild(el("h2", { className: "answer__sources-title", id: headingId, text: "Sources" }));
      var list = el("ol", { className: "sources", "aria-labelledby": headingId });
      numbered.forEach(function (item) {
        var c = item.c;
        var button = citeButton(c, item.n);
        var li = el("li", { className: "source-item" }, [
          button,
          el("span", { className: "source-item__where", text: sourceWhere(c, true) })
        ]);
        if (c.quote) {
          var quote = el("p", { className: "source-item__quote" }, ["« "]);
          quote.appendChild(renderText(c.quote, { note: quoteNoteLink(citationTarget(c, item.n), function () { return button; }) }));
          quote.appendChild(document.createTextNode(" »"));
          li.appendChild(quote);
        }
        list.appendChild(li);
      });
      article.appendChild(list);
    }

    var status = el("span", { className: "copy-status", role: "status" });
    var copy = el("button", {
      type: "button", className: "btn btn--tertiary btn--sm copy-answer", text: "Copier la réponse et ses sources",
      onclick: function () {
        copyToClipboard(copyText(question, data, numbered)).then(function () {
          status.textContent = "Réponse copiée dans le presse-papiers.";
        }, function () {
          status.textContent = "La copie a échoué : sélectionnez le texte à la main.";
        });
      }
    });
    article.appendChild(el("div", { className: "answer__actions" }, [copy, status]));
    return article;
  }

  function addTurn(question, data) {
    var li = el("li", { className: "turn" }, [
      el("div", { className: "turn__question" }, [el("span", { className: "turn__who", text: "Vous" }), question]),
      renderAnswer(question, data)
    ]);
    $("conversation").appendChild(li);
    $("suggestions").hidden = true;
    return li;
  }

  function updateCounter() {
    var n = charCount($("question").value.trim());
    var counter = $("question-count");
    var over = n > MAX_QUESTION;
    counter.textContent = formatNumber(n) + " / 2\u202f000 caractères" + (over ? " : trop long de " + formatNumber(n - MAX_QUESTION) : "");
    counter.classList.toggle("is-over", over);
    if (over) $("question").setAttribute("aria-invalid", "true");
    else $("question").removeAttribute("aria-invalid");
  }

  function tooLongMessage(n) {
    return "La question dépasse la limite de 2\u202f000 caractères (" + formatNumber(n) + " saisis) : " +
      "raccourcissez-la de " + plural(n - MAX_QUESTION, "caractère", "caractères") + " avant de l'envoyer. Rien n'a été envoyé.";
  }

  var asking = false;

  function ask(question) {
    question = question.trim();
    hideAlert("ask-alert");
    if (!question) {
      showAlert("ask-alert", "Saisissez une question avant d'envoyer.");
      $("question").focus();
      return;
    }
    var n = charCount(question);
    if (n > MAX_QUESTION) {
      // Refused whole: a cut question would be answered as if the user had asked something else.
      showAlert("ask-alert", tooLongMessage(n));
      $("question").focus();
      return;
    }
    if (asking) return;
    asking = true;
    $("ask-submit").disabled = true;
    $("ask-form").setAttribute("aria-busy", "true");
    setStatus("ask-status", "Recherche dans le corpus…", true);
    var payload = { question: question };
    if (history.length) payload.history = history.slice(-HISTORY_TURNS);
    postJSON("/api/ask", payload).then(function (data) {
      addTurn(question, data);
      history.push({ question: question, answer: M.plain(data.answer || "") });
      $("question").value = "";
      updateCounter();
      setStatus("ask-status", "");
    }, function (err) {
      setStatus("ask-status", "");
      showAlert("ask-alert", err.message);
    }).then(function () {
      asking = false;
      $("ask-submit").disabled = false;
      $("ask-form").removeAttribute("aria-busy");
    });
  }

  function setupAsk() {
    var q = $("question");
    $("ask-form").addEventListener("submit", function (e) { e.preventDefault(); ask(q.value); });
    q.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); ask(q.value); }
    });
    q.addEventListener("input", updateCounter);
    Array.prototype.forEach.call(document.querySelectorAll(".suggestion"), function (b) {
      b.addEventListener("click", function () { q.value = b.textContent; updateCounter(); ask(b.textContent); });
    });
    $("new-conversation").addEventListener("click", function () {
      history = [];
      $("conversation").textContent = "";
      $("suggestions").hidden = false;
      hideAlert("ask-alert");
      closeSource(false);
      setStatus("ask-status", "Nouvelle conversation : l'historique a été effacé.");
      q.focus();
    });
    updateCounter();
  }

  // ---- source panel -----------------------------------------------------------------------------
  // target: {kind: "citation" | "rule" | "suggestion", doc_id, doc_title?, section_path?, line_start,
  //          line_end, quote?, number?, focusNote?}. A citation and a rule's paragraph are cited lines
  // (marked, « Lignes citées »); a suggestion is a section to read, shown without marks.

  function markOpen(button) {
    Array.prototype.forEach.call(document.querySelectorAll('.cite[aria-expanded="true"]'), function (b) {
      b.setAttribute("aria-expanded", "false");
    });
    if (button && button.classList.contains("cite")) button.setAttribute("aria-expanded", "true");
  }

  var PANEL_TITLES = { citation: "Source", rule: "Paragraphe cité", suggestion: "Section proposée" };

  function openSource(target, opener) {
    lastOpener = opener || null;
    markOpen(opener);
    var panel = $("source-panel");
    panel.hidden = false;
    document.body.classList.add("has-panel");
    $("source-title").textContent = target.kind === "citation" && target.number
      ? "Source [" + target.number + "]" : PANEL_TITLES[target.kind] || "Passage du corpus";
    var body = $("source-body");
    body.textContent = "";
    body.scrollTop = 0;
    body.setAttribute("aria-busy", "true");
    body.appendChild(el("p", { className: "status is-busy", text: "Chargement du passage…" }));
    $("source-title").focus();
    var context = target.kind === "suggestion" ? 0 : CONTEXT_LINES;
    loadExcerpt(target, context);
  }

  function excerptRange(target, context) {
    var start = Math.max(1, target.line_start - context);
    var end = target.line_end + context;
    if (target.kind === "suggestion") end = Math.min(end, target.line_start + SECTION_LINES - 1 + context);
    return [start, end];
  }

  function loadExcerpt(target, context) {
    var body = $("source-body");
    var range = excerptRange(target, context);
    var url = "/api/documents/" + encodeURIComponent(target.doc_id) + "?start=" + range[0] + "&end=" + range[1];
    api(url).then(function (doc) {
      titleOf(doc.doc_id, doc.doc_title);
      body.textContent = "";
      body.removeAttribute("aria-busy");
      renderExcerpt(body, target, doc, context);
    }, function (err) {
      body.textContent = "";
      body.removeAttribute("aria-busy");
      body.appendChild(el("div", { className: "alert alert--error", role: "alert" }, [
        el("p", { className: "alert__title", text: "Erreur" }), el("p", { text: err.message })
      ]));
    });
  }

  // Where the quote sits in the cited lines: {lineNumber: [start, end]} of the raw characters to mark, or
  // null when there is no quote or it cannot be found (whitespace may differ, words may not).
  function quoteRanges(lines, quote) {
    var words = (quote || "").trim().split(/\s+/).filter(Boolean);
    if (!words.length || !lines.length) return null;
    var joined = lines.map(function (l) { return l.text; }).join("\n");
    var pattern = words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("\\s+");
    var m;
    try { m = new RegExp(pattern).exec(joined); } catch (e) { return null; }
    if (!m) return null;
    var start = m.index, end = m.index + m[0].length, offset = 0, out = {};
    lines.forEach(function (l) {
      var a = Math.max(start, offset), b = Math.min(end, offset + l.text.length);
      out[l.number] = b > a ? [a - offset, b - offset] : null;
      offset += l.text.length + 1;
    });
    return out;
  }

  function isBlank(text) { return !M.plain(text).trim(); }

  function renderExcerpt(body, target, doc, context) {
    var cites = target.kind !== "suggestion";
    body.appendChild(el("p", { className: "source__doc", text: doc.doc_title }));
    var path = target.section_path && target.section_path.length ? target.section_path : (doc.section ? doc.section.path : []);
    if (path && path.length) body.appendChild(el("p", { className: "source__path", text: path.map(oneLine).join(" › ") }));

    var inSpan = function (n) { return n >= target.line_start && n <= target.line_end; };
    // « Lignes citées » only names lines that say something: never the blank lines around a paragraph.
    var cited = cites ? doc.lines.filter(function (l) { return inSpan(l.number) && !isBlank(l.text); }).map(function (l) { return l.number; }) : [];
    var span = cited.length ? [cited[0], cited[cited.length - 1]] : [target.line_start, target.line_end];
    var label = cites
      ? (span[0] === span[1] ? "Ligne citée : " + span[0] : "Lignes citées : " + span[0] + " à " + span[1])
      : "Section : lignes " + target.line_start + " à " + target.line_end;
    body.appendChild(el("p", { className: "source__lines", text: label + " (sur " + formatNumber(doc.total_lines) + ")" }));
    if (target.quote) {
      var quote = el("blockquote", { className: "source__quote" });
      quote.appendChild(renderText(target.quote));
      body.appendChild(quote);
    }

    var list = el("ol", {
      className: "excerpt",
      "aria-label": "Extrait du document, " + linesLabel(doc.start, doc.end) + (cites ? " ; lignes citées surlignées" : "")
    });
    var firstShown = null;
    var ranges = quoteRanges(doc.lines.filter(function (l) { return inSpan(l.number); }), target.quote);
    var calls = [];
    doc.lines.forEach(function (line) {
      var isCited = cited.indexOf(line.number) !== -1;
      var kind = M.info(line.text);
      var mark = isCited ? (ranges ? ranges[line.number] : [0, line.text.length]) : null;
      var text = el("span", { className: "excerpt__text" });
      text.appendChild(M.render(line.text, {
        mark: mark && mark[1] > mark[0] ? mark : null,
        note: function (n) {
          var call = { n: n, line: line.number, cited: isCited, target: null };
          call.link = el("a", {
            href: "#source-panel", className: "note-call", "aria-label": "Note " + n, text: String(n),
            onclick: function (e) { e.preventDefault(); if (call.target !== null) goToLine(body, call.target); }
          });
          calls.push(call);
          return el("sup", { className: "md-note" }, [call.link]);
        }
      }));
      if (isCited) text.appendChild(el("span", { className: "visually-hidden", text: " (ligne citée)" }));
      var li = el("li", {
        id: "src-line-" + line.number,
        className: "excerpt__line" + (isCited ? " excerpt__line--cited" : "") +
          (!cites && inSpan(line.number) ? " excerpt__line--section" : "") +
          (kind.heading ? " excerpt__line--heading" : "") + (kind.note !== null ? " excerpt__line--note" : ""),
        "data-line": line.number,
        "data-note": kind.note === null ? null : String(kind.note)
      }, [el("span", { className: "excerpt__no", "aria-hidden": "true", text: String(line.number) }), text]);
      if (!firstShown && (isCited || (!cites && line.number === target.line_start))) firstShown = li;
      list.appendChild(li);
    });
    body.appendChild(list);

    var more = el("div", { className: "source__more" });
    if (doc.start > 1 || doc.end < doc.total_lines) {
      more.appendChild(el("button", {
        type: "button", className: "btn btn--tertiary btn--sm", text: "Afficher plus de contexte",
        onclick: function () { loadExcerpt(target, context + 20); }
      }));
    }
    if (more.childNodes.length) body.appendChild(more);
    // Scroll the panel (never the page) so that the cited lines are in view, below the quote if possible.
    if (firstShown) {
      var top = firstShown.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
      if (top + firstShown.offsetHeight > body.clientHeight) body.scrollTop = Math.max(0, top - body.clientHeight / 4);
    }
    resolveNotes(body, target, doc, calls);
  }

  // Each footnote call links to its note: the first line below it that starts with the same number
  // (numbering restarts on every page of the source). A note outside the excerpt is fetched and shown
  // under it; a call whose note cannot be found stays a plain superscript.
  function resolveNotes(body, target, doc, calls) {
    if (!calls.length) { focusNote(body, target, calls); return; }
    function findIn(lines, call) {
      for (var i = 0; i < lines.length; i++) {
        if (lines[i].number > call.line && lines[i].number <= call.line + NOTE_LOOKAHEAD && M.info(lines[i].text).note === call.n) return lines[i].number;
      }
      return null;
    }
    var missing = [];
    calls.forEach(function (call) {
      call.target = findIn(doc.lines, call);
      if (call.target === null) missing.push(call);
    });
    function finish(extra) {
      if (extra && extra.length) {
        var notesId = newId("notes");
        var notes = el("ol", { className: "excerpt excerpt--notes", "aria-labelledby": notesId });
        var added = {};
        missing.forEach(function (call) {
          call.target = findIn(extra, call);
          if (call.target === null || added[call.target]) return;
          added[call.target] = true;
          var line = extra.filter(function (l) { return l.number === call.target; })[0];
          var text = el("span", { className: "excerpt__text" }, [M.render(line.text)]);
          notes.appendChild(el("li", { id: "src-line-" + line.number, className: "excerpt__line excerpt__line--note", "data-line": line.number,
                                       "data-note": String(call.n) },
            [el("span", { className: "excerpt__no", "aria-hidden": "true", text: String(line.number) }), text]));
        });
        if (notes.childNodes.length) {
          var where = body.querySelector(".source__more");
          var section = el("section", { className: "source__notes" }, [
            el("h3", { className: "source__notes-title", id: notesId, text: "Notes de bas de page" }), notes]);
          body.insertBefore(section, where);
        }
      }
      calls.forEach(function (call) {
        if (call.target === null) {
          var sup = call.link.parentNode;
          sup.replaceChild(document.createTextNode(String(call.n)), call.link);
          return;
        }
        call.link.setAttribute("href", "#src-line-" + call.target);
      });
      focusNote(body, target, calls);
    }
    var last = doc.end;
    if (!missing.length || last >= doc.total_lines) { finish(null); return; }
    var end = Math.min(doc.total_lines, Math.max.apply(null, missing.map(function (c) { return c.line; })) + NOTE_LOOKAHEAD);
    if (end - last > 450) end = last + 450; // the API serves 500 lines at most
    api("/api/documents/" + encodeURIComponent(doc.doc_id) + "?start=" + (last + 1) + "&end=" + end)
      .then(function (more) { finish(more.lines); }, function () { finish(null); });
  }

  function goToLine(body, number) {
    var li = document.getElementById("src-line-" + number);
    if (!li) return;
    li.setAttribute("tabindex", "-1");
    var top = li.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
    body.scrollTop = Math.max(0, top - body.clientHeight / 4);
    li.focus({ preventScroll: true });
  }

  // Opened from a note call of a quote: go to that note.
  function focusNote(body, target, calls) {
    if (!target.focusNote) return;
    var call = calls.filter(function (c) { return c.n === target.focusNote && c.cited && c.target !== null; })[0] ||
      calls.filter(function (c) { return c.n === target.focusNote && c.target !== null; })[0];
    if (call) goToLine(body, call.target);
  }

  function closeSource(restoreFocus) {
    var panel = $("source-panel");
    if (panel.hidden) return;
    panel.hidden = true;
    document.body.classList.remove("has-panel");
    markOpen(null);
    if (restoreFocus !== false && lastOpener && document.body.contains(lastOpener)) lastOpener.focus();
    lastOpener = null;
  }

  function setupSourcePanel() {
    $("source-close").addEventListener("click", function () { closeSource(true); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !$("source-panel").hidden) { e.preventDefault(); closeSource(true); }
    });
  }

  // ---- contract check ---------------------------------------------------------------------------

  function ruleSourceButton(cit) {
    if (!cit || !cit.doc_id) return null;
    var label = shortTitle(titleOf(cit.doc_id, cit.doc_title)) + ", l.\u00a0" + cit.line_start +
      (cit.line_end !== cit.line_start ? "-" + cit.line_end : "");
    // The visible text starts the accessible name: speech users say what they see.
    return el("button", {
      type: "button", className: "link-button results__source-button", "aria-controls": "source-panel",
      onclick: function (e) {
        openSource({ kind: "rule", doc_id: cit.doc_id, doc_title: cit.doc_title, section_path: [],
                     line_start: cit.line_start, line_end: cit.line_end, quote: "" }, e.currentTarget);
      }
    }, [label, el("span", { className: "visually-hidden", text: " : lire le paragraphe cité" })]);
  }

  function valuesText(values) {
    return Object.keys(values || {}).map(function (k) {
      var v = values[k];
      return k + " = " + (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v));
    }).join(" · ");
  }

  function ruleRow(r, actions) {
    var action = r.action === null || r.action === undefined ? null : String(r.action);
    var actionText = action === null ? "Contrat entier"
      : "Action " + action + (actions[action] ? " · " + actions[action] : "");
    var details = el("details", { className: "results__details" }, [
      el("summary", null, ["Détails", el("span", { className: "visually-hidden", text: " : " + (r.rule_title || r.rule) })]),
      el("p", null, ["Règle ", el("code", { text: r.rule }), r.values && Object.keys(r.values).length ? " · " + valuesText(r.values) : ""])
    ]);
    return el("tr", { className: "row--" + r.verdict, "data-verdict": r.verdict, "data-rule": r.rule }, [
      el("td", { className: "results__rule" }, [el("span", { className: "results__rule-title", text: r.rule_title || r.rule }), details]),
      el("td", { className: "results__action", "data-label": "Action", text: actionText }),
      el("td", { className: "results__message", "data-label": "Constat", text: capitalize(r.message || "") }),
      el("td", { className: "results__source", "data-label": "Source" }, [ruleSourceButton(r.citation) || "—"])
    ]);
  }

  function resultsTable(rows, labelId, actions) {
    var table = el("table", { className: "results", "aria-labelledby": labelId }, [
      el("colgroup", null, [el("col", { className: "results__col-rule" }), el("col", { className: "results__col-action" }),
                            el("col", { className: "results__col-message" }), el("col", { className: "results__col-source" })]),
      el("thead", null, [el("tr", null, [
        el("th", { scope: "col", text: "Règle" }),
        el("th", { scope: "col", text: "Action" }),
        el("th", { scope: "col", text: "Constat" }),
        el("th", { scope: "col", text: "Source" })
      ])])
    ]);
    var tbody = el("tbody");
    rows.forEach(function (r) { tbody.appendChild(ruleRow(r, actions)); });
    table.appendChild(tbody);
    return el("div", { className: "table-wrap" }, [table]);
  }

  // « Aucune violation · 3 points à vérifier · 4 informations »: what needs attention, never a promise
  // that everything is fine beside points still to check.
  function summaryTitle(counts) {
    var parts = [counts.violation ? plural(counts.violation, "violation", "violations") : "Aucune violation"];
    if (counts.warning) parts.push(plural(counts.warning, "point à vérifier", "points à vérifier"));
    if (counts.info) parts.push(plural(counts.info, "information", "informations"));
    return parts.join(" · ");
  }

  function summaryText(counts) {
    if (counts.violation) return "Le contrat ne respecte pas toutes les règles contrôlées : corrigez les violations avant signature.";
    if (counts.warning) return "Aucune règle n'est enfreinte, mais " + plural(counts.warning, "point demande", "points demandent") +
      " une vérification avant signature.";
    if (counts.info) return "Aucune règle n'est enfreinte ; " + (counts.info > 1 ? "certaines règles n'ont" : "une règle n'a") +
      " pas pu être vérifiée faute de données.";
    return "Le contrat respecte toutes les règles contrôlées.";
  }

  function renderCheck(result, sourceName) {
    var out = $("check-result");
    out.textContent = "";
    var rows = result.results || [];
    var counts = { violation: 0, warning: 0, info: 0, ok: 0 };
    rows.forEach(function (r) { if (counts[r.verdict] !== undefined) counts[r.verdict] += 1; });
    var actions = {};
    var contract = result.contract || null;
    if (contract) (contract.actions || []).forEach(function (a) { actions[a.id] = a.intitule; });
    rows.forEach(function (r) { if (r.citation && r.citation.doc_title) titleOf(r.citation.doc_id, r.citation.doc_title); });

    var state = counts.violation ? "ko" : counts.warning ? "warn" : "ok";
    var titleId = newId("report");
    var facts = [];
    if (contract) {
      facts.push(contract.nom, "année " + contract.annee, plural((contract.actions || []).length, "action", "actions"));
    }
    if (sourceName) facts.push(sourceName);
    var summary = el("div", { className: "check-summary check-summary--" + state, "data-ok": result.ok ? "true" : "false" }, [
      el("h2", { className: "check-summary__title", id: titleId, tabindex: "-1", text: summaryTitle(counts) }),
      el("p", { className: "check-summary__text", text: summaryText(counts) }),
      facts.length ? el("p", { className: "check-summary__facts", text: facts.join(" · ") }) : null
    ]);
    var report = el("section", { className: "report", "aria-labelledby": titleId }, [summary]);

    RULE_GROUPS.forEach(function (g) {
      var inGroup = rows.filter(function (r) { return r.verdict === g[0]; });
      if (!inGroup.length) return;
      var id = newId("group");
      var heading = (inGroup.length > 1 ? g[1] : g[2]) + " (" + formatNumber(inGroup.length) + ")";
      if (g[0] === "ok") {
        // Conforming rules are folded: what needs attention comes first and fits a phone.
        report.appendChild(el("details", { className: "report-group report-group--ok" }, [
          el("summary", { className: "report-group__summary", id: id, text: heading }),
          resultsTable(inGroup, id, actions)
        ]));
      } else {
        report.appendChild(el("section", { className: "report-group report-group--" + g[0], "aria-labelledby": id }, [
          el("h3", { className: "report-group__title", id: id, text: heading }),
          resultsTable(inGroup, id, actions)
        ]));
      }
    });
    out.appendChild(report);
    return summary;
  }

  var checking = false;

  function check() {
    hideAlert("check-alert");
    var fileInput = $("contract-file");
    var file = fileInput.files && fileInput.files[0];
    var text = $("contract-text").value;
    var request;
    var sourceName;
    if (file) {
      if (file.size > MAX_UPLOAD) {
        showAlert("check-alert", "Le fichier dépasse la taille maximale autorisée (2 Mo).");
        return;
      }
      var form = new FormData();
      form.append("file", file, file.name);
      request = { method: "POST", body: form };
      sourceName = file.name;
    } else if (text.trim()) {
      var isJson = /^\s*[{[]/.test(text);
      request = { method: "POST", headers: { "Content-Type": isJson ? "application/json" : "application/yaml" }, body: text };
      sourceName = isJson ? "contrat collé (JSON)" : "contrat collé (YAML)";
    } else {
      showAlert("check-alert", "Choisissez un fichier ou collez le contenu d'un contrat avant de lancer la vérification.");
      fileInput.focus();
      return;
    }
    if (checking) return;
    checking = true;
    $("check-submit").disabled = true;
    $("check-result").textContent = "";
    setStatus("check-status", "Vérification du contrat…", true);
    api("/api/check", request).then(function (result) {
      setStatus("check-status", "");
      var summary = renderCheck(result, sourceName);
      summary.querySelector("h2").focus();
    }, function (err) {
      setStatus("check-status", "");
      showAlert("check-alert", err.message);
    }).then(function () {
      checking = false;
      $("check-submit").disabled = false;
    });
  }

  function showFileName() {
    var f = $("contract-file").files && $("contract-file").files[0];
    $("contract-file-name").textContent = f ? f.name + " (" + formatNumber(Math.max(1, Math.round(f.size / 1024))) + " Ko)" : "Aucun fichier choisi";
  }

  function setupCheck() {
    $("check-form").addEventListener("submit", function (e) { e.preventDefault(); check(); });
    $("contract-file").addEventListener("change", function () { hideAlert("check-alert"); showFileName(); });
    $("check-form").addEventListener("reset", function () {
      hideAlert("check-alert");
      $("check-result").textContent = "";
      setStatus("check-status", "");
      setTimeout(showFileName, 0); // after the browser has cleared the input
    });
  }

  function setupApiKey() {
    var input = $("api-key");
    input.value = apiKey();
    function save() {
      try { sessionStorage.setItem("pacte-api-key", input.value.trim()); } catch (e) { /* private mode */ }
    }
    input.addEventListener("change", save);
    $("api-key-form").addEventListener("submit", function (e) {
      e.preventDefault();
      save();
      $("api-key-status").textContent = input.value.trim() ? "Clé enregistrée pour cette session." : "Clé effacée.";
    });
  }

  window.Pacte = {
    onTab: onTab, api: api, postJSON: postJSON, el: el, apiKey: apiKey, showAlert: showAlert, hideAlert: hideAlert,
    setStatus: setStatus, openSource: openSource, markup: M
  };

  document.addEventListener("DOMContentLoaded", function () {
    setupAsk();
    setupSourcePanel();
    setupCheck();
    setupApiKey();
    setupTabs();
    document.documentElement.setAttribute("data-ready", "true");
  });
})();
