/* Pacte Assistant — chat page and contract check. Plain JavaScript, no build step.
   Server data is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var MAX_QUESTION = 2000;
  var MAX_UPLOAD = 2 * 1024 * 1024;
  var HISTORY_TURNS = 6; // previous turns sent with a question, enough for a follow-up
  var CONTEXT_LINES = 4; // lines shown around a cited span (paragraphs are separated by blank lines)

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
  var RULE_VERDICTS = { violation: "Violation", warning: "Avertissement", ok: "Conforme", info: "Information" };
  // Short names for lists and tables; the panel shows the full title.
  var SHORT_DOCS = {
    "instruction-2023-168": "Instruction",
    "pas-de-calais-contrat-2024": "Contrat Pas-de-Calais",
    "bfc-visio-2024-04-11": "Visio BFC"
  };
  var LONG_DOCS = {
    "instruction-2023-168": "Instruction n° DGCS/SD1B/DIPLP/2023/168 du 27 octobre 2023",
    "pas-de-calais-contrat-2024": "Contrat local des solidarités du Pas-de-Calais (2024)",
    "bfc-visio-2024-04-11": "Visio ROSS Bourgogne-Franche-Comté du 11 avril 2024"
  };
  var RULE_ORDER = { violation: 0, warning: 1, info: 2, ok: 3 };

  var history = []; // [{question, answer}]
  var docTitles = {}; // doc_id -> title, learnt from answers and documents
  var lastOpener = null; // button that opened the source panel, to give focus back

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

  function formatNumber(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"); }

  function linesLabel(start, end) {
    return start === end ? "ligne " + start : "lignes " + start + " à " + end;
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
    var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        $(t.getAttribute("aria-controls")).hidden = !on;
      });
      if (focus) tab.focus();
      var hash = tab.id === "tab-check" ? "#verifier" : "#question";
      if (location.hash !== hash) history_replace(hash);
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
    if (location.hash === "#verifier") select($("tab-check"), false);
  }

  function history_replace(hash) {
    try { window.history.replaceState(null, "", hash); } catch (e) { /* file:// or sandbox */ }
  }

  // ---- conversation ---------------------------------------------------------------------------

  function citationNumber(c, i) {
    var n = String(c.id === undefined || c.id === null ? "" : c.id).replace(/\D/g, "");
    return n ? n : String(i + 1);
  }

  function citeButton(c, number, compact) {
    var title = c.doc_title || docTitles[c.doc_id] || c.doc_id;
    return el("button", {
      type: "button",
      className: "cite",
      "aria-expanded": "false",
      "aria-controls": "source-panel",
      "aria-label": "Source " + number + " : " + title + ", " + linesLabel(c.line_start, c.line_end),
      "data-cite": number,
      text: "[" + number + "]",
      onclick: function (e) { openSource(c, number, e.currentTarget); }
    });
  }

  // The answer text with its [n] markers turned into buttons.
  function answerText(text, byNumber) {
    var p = el("p", { className: "answer__text" });
    var re = /\[(\d+)\]/g;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) p.appendChild(document.createTextNode(text.slice(last, m.index)));
      var c = byNumber[m[1]];
      p.appendChild(c ? citeButton(c, m[1]) : document.createTextNode(m[0]));
      last = re.lastIndex;
    }
    if (last < text.length) p.appendChild(document.createTextNode(text.slice(last)));
    return p;
  }

  function sourceWhere(c, short) {
    var title = c.doc_title || docTitles[c.doc_id] || c.doc_id;
    var parts = [short && LONG_DOCS[c.doc_id] ? LONG_DOCS[c.doc_id] : title];
    var path = c.section_path || [];
    // In lists, the two innermost headings are enough; the panel shows the whole path.
    if (short && path.length > 2) path = ["…"].concat(path.slice(-2));
    if (path.length) parts.push(path.join(" › "));
    return parts.join(" — ") + ", " + linesLabel(c.line_start, c.line_end);
  }

  function copyText(question, data, numbered) {
    var out = ["Question : " + question, ""];
    var head = "Réponse";
    if (data.abstained) head += " (le corpus ne couvre pas cette question)";
    else if (data.verdict && VERDICTS[data.verdict]) head += " (" + VERDICTS[data.verdict] + ")";
    out.push(head + " :", data.answer || "");
    if (numbered.length) {
      out.push("", "Sources :");
      numbered.forEach(function (item) {
        var c = item.c;
        var line = "[" + item.n + "] " + sourceWhere(c);
        if (c.quote) line += " : « " + c.quote.replace(/\s+/g, " ").trim() + " »";
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
      var ta = el("textarea", { className: "visually-hidden", readonly: true });
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) resolve(); else reject(new Error("copie impossible"));
    });
  }

  function renderAnswer(question, data) {
    var citations = data.citations || [];
    var byNumber = {};
    var numbered = citations.map(function (c, i) {
      var n = citationNumber(c, i);
      byNumber[n] = c;
      if (c.doc_title) docTitles[c.doc_id] = c.doc_title;
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
    if (meta.childNodes.length) article.appendChild(meta);
    if (data.resolved_question && data.resolved_question !== question) {
      article.appendChild(el("p", { className: "answer__resolved", text: "Question comprise comme : « " + data.resolved_question + " »" }));
    }

    if (data.abstained) {
      article.appendChild(el("div", { className: "notice notice--abstained" }, [
        el("p", { className: "notice__title", text: "Le corpus ne couvre pas cette question" }),
        el("p", { text: "Aucun passage des documents ne permet d'y répondre avec certitude : vérifiez auprès d'une autre source." })
      ]));
    }

    article.appendChild(answerText(data.answer || "", byNumber));

    if (numbered.length) {
      var headingId = "sources-" + Math.random().toString(36).slice(2, 9);
      article.appendChild(el("h3", { className: "answer__sources-title", id: headingId, text: "Sources" }));
      var list = el("ol", { className: "sources", "aria-labelledby": headingId });
      numbered.forEach(function (item) {
        var c = item.c;
        var li = el("li", { className: "source-item" }, [
          citeButton(c, item.n),
          el("span", { className: "source-item__where", text: sourceWhere(c, true), title: c.doc_title || null })
        ]);
        if (c.quote) li.appendChild(el("p", { className: "source-item__quote", text: "« " + c.quote.replace(/\s+/g, " ").trim() + " »" }));
        list.appendChild(li);
      });
      article.appendChild(list);
    } else if (data.abstained && data.hits && data.hits.length) {
      article.appendChild(el("h3", { className: "answer__sources-title", text: "Sections les plus proches" }));
      var near = el("ul", { className: "nearest" });
      data.hits.slice(0, 3).forEach(function (h) {
        var label = sourceWhere({ doc_id: h.doc_id, section_path: h.section_path, line_start: h.line_start, line_end: h.line_end }, true);
        near.appendChild(el("li", null, [el("button", {
          type: "button", className: "link-button", text: label, "aria-controls": "source-panel",
          onclick: function (e) { openSource({ doc_id: h.doc_id, section_path: h.section_path, line_start: h.line_start, line_end: h.line_end, quote: "" }, null, e.currentTarget); }
        })]));
      });
      article.appendChild(near);
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
    var n = $("question").value.length;
    var counter = $("question-count");
    counter.textContent = formatNumber(n) + " / 2\u202f000 caractères";
    counter.classList.toggle("is-over", n > MAX_QUESTION);
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
    if (question.length > MAX_QUESTION) {
      showAlert("ask-alert", "La question dépasse la limite de 2 000 caractères (" + question.length + " saisis).");
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
      history.push({ question: question, answer: data.answer || "" });
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

  function markOpen(button) {
    Array.prototype.forEach.call(document.querySelectorAll('.cite[aria-expanded="true"]'), function (b) {
      b.setAttribute("aria-expanded", "false");
    });
    if (button && button.classList.contains("cite")) button.setAttribute("aria-expanded", "true");
  }

  function openSource(c, number, opener) {
    lastOpener = opener || null;
    markOpen(opener);
    var panel = $("source-panel");
    panel.hidden = false;
    document.body.classList.add("has-panel");
    $("source-title").textContent = number ? "Source [" + number + "]" : "Passage du corpus";
    var body = $("source-body");
    body.textContent = "";
    body.scrollTop = 0;
    body.setAttribute("aria-busy", "true");
    body.appendChild(el("p", { className: "status is-busy", text: "Chargement du passage…" }));
    $("source-title").focus();
    loadExcerpt(c, CONTEXT_LINES);
  }

  function loadExcerpt(c, context) {
    var body = $("source-body");
    var start = Math.max(1, c.line_start - context);
    var end = c.line_end + context;
    var url = "/api/documents/" + encodeURIComponent(c.doc_id) + "?start=" + start + "&end=" + end;
    api(url).then(function (doc) {
      docTitles[doc.doc_id] = doc.doc_title;
      body.textContent = "";
      body.removeAttribute("aria-busy");
      renderExcerpt(body, c, doc, context);
    }, function (err) {
      body.textContent = "";
      body.removeAttribute("aria-busy");
      var alert = el("div", { className: "alert alert--error", role: "alert" }, [
        el("p", { className: "alert__title", text: "Erreur" }), el("p", { text: err.message })
      ]);
      body.appendChild(alert);
    });
  }

  // Where the quote sits in the cited lines: {lineNumber: [start, end]} of the characters to mark, or
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

  function renderExcerpt(body, c, doc, context) {
    body.appendChild(el("p", { className: "source__doc", text: doc.doc_title }));
    var path = c.section_path && c.section_path.length ? c.section_path : (doc.section ? doc.section.path : []);
    if (path && path.length) body.appendChild(el("p", { className: "source__path", text: path.join(" › ") }));
    body.appendChild(el("p", { className: "source__lines", text: "Lignes citées : " + c.line_start + " à " + c.line_end + " (sur " + formatNumber(doc.total_lines) + ")" }));
    if (c.quote) body.appendChild(el("blockquote", { className: "source__quote", text: c.quote.replace(/\s+/g, " ").trim() }));

    var list = el("ol", {
      className: "excerpt",
      "aria-label": "Extrait du document, " + linesLabel(doc.start, doc.end) + " ; lignes citées surlignées"
    });
    var firstCited = null;
    var citedLines = doc.lines.filter(function (line) { return line.number >= c.line_start && line.number <= c.line_end; });
    var ranges = quoteRanges(citedLines, c.quote);
    doc.lines.forEach(function (line) {
      var cited = line.number >= c.line_start && line.number <= c.line_end;
      var heading = /^#{1,6}\s/.test(line.text);
      var text = el("span", { className: "excerpt__text" });
      if (cited) {
        // The quoted words are marked exactly; without a quote (a rule's paragraph), the whole line.
        var r = ranges ? ranges[line.number] : [0, line.text.length];
        if (r && r[1] > r[0]) {
          if (r[0] > 0) text.appendChild(document.createTextNode(line.text.slice(0, r[0])));
          text.appendChild(el("mark", { text: line.text.slice(r[0], r[1]) }));
          if (r[1] < line.text.length) text.appendChild(document.createTextNode(line.text.slice(r[1])));
        } else {
          text.textContent = line.text;
        }
        text.appendChild(el("span", { className: "visually-hidden", text: " (ligne citée)" }));
      } else {
        text.textContent = line.text;
      }
      var li = el("li", {
        className: "excerpt__line" + (cited ? " excerpt__line--cited" : "") + (heading ? " excerpt__line--heading" : ""),
        "data-line": line.number
      }, [el("span", { className: "excerpt__no", "aria-hidden": "true", text: String(line.number) }), text]);
      if (cited && !firstCited) firstCited = li;
      list.appendChild(li);
    });
    body.appendChild(list);

    var more = el("div", { className: "source__more" });
    if (doc.start > 1 || doc.end < doc.total_lines) {
      more.appendChild(el("button", {
        type: "button", className: "btn btn--tertiary btn--sm", text: "Afficher plus de contexte",
        onclick: function () { loadExcerpt(c, context + 20); }
      }));
    }
    if (more.childNodes.length) body.appendChild(more);
    // Scroll the panel (never the page) so that the cited lines are in view, below the quote if possible.
    if (firstCited) {
      var top = firstCited.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
      if (top + firstCited.offsetHeight > body.clientHeight) body.scrollTop = Math.max(0, top - body.clientHeight / 4);
    }
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

  function ruleCitationButton(cit) {
    if (!cit || !cit.doc_id) return document.createTextNode("—");
    var label = (SHORT_DOCS[cit.doc_id] || cit.doc_id) + ", l.\u00a0" + cit.line_start +
      (cit.line_end !== cit.line_start ? "-" + cit.line_end : "");
    return el("button", {
      type: "button", className: "link-button", text: label, "aria-controls": "source-panel",
      "aria-label": "Lire le paragraphe cité, " + linesLabel(cit.line_start, cit.line_end) + " de " + (docTitles[cit.doc_id] || cit.doc_id),
      onclick: function (e) {
        openSource({ doc_id: cit.doc_id, section_path: [], line_start: cit.line_start, line_end: cit.line_end, quote: "" }, null, e.currentTarget);
      }
    });
  }

  // A rule id with break opportunities after its underscores, for narrow columns.
  function ruleCode(id) {
    var code = el("code");
    String(id).split("_").forEach(function (part, i, parts) {
      code.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "_" : "")));
      if (i < parts.length - 1) code.appendChild(el("wbr"));
    });
    return code;
  }

  function renderCheck(result, sourceName) {
    var out = $("check-result");
    out.textContent = "";
    var rows = (result.results || []).slice();
    var counts = { violation: 0, warning: 0, info: 0, ok: 0 };
    rows.forEach(function (r) { if (counts[r.verdict] !== undefined) counts[r.verdict] += 1; });
    var ok = !!result.ok;
    var summaryParts = [
      counts.violation + " violation" + (counts.violation > 1 ? "s" : ""),
      counts.warning + " avertissement" + (counts.warning > 1 ? "s" : ""),
      counts.info + " information" + (counts.info > 1 ? "s" : ""),
      counts.ok + " règle" + (counts.ok > 1 ? "s" : "") + " conforme" + (counts.ok > 1 ? "s" : "")
    ];
    var summary = el("div", { className: "check-summary " + (ok ? "check-summary--ok" : "check-summary--ko"), "data-ok": ok ? "true" : "false" }, [
      el("p", {
        className: "check-summary__title",
        text: ok ? "Aucune violation : le contrat respecte toutes les règles contrôlées."
                 : counts.violation + " violation" + (counts.violation > 1 ? "s" : "") + " : le contrat ne respecte pas toutes les règles."
      }),
      el("p", { text: summaryParts.join(" · ") + (sourceName ? " — " + sourceName : "") })
    ]);
    out.appendChild(summary);

    rows.sort(function (a, b) { return (RULE_ORDER[a.verdict] || 0) - (RULE_ORDER[b.verdict] || 0); });
    var filterId = "hide-ok-" + Math.random().toString(36).slice(2, 9);
    var hideOk = el("input", { type: "checkbox", id: filterId, className: "checkbox__input" });
    out.appendChild(el("div", { className: "checkbox" }, [
      hideOk,
      el("label", { "for": filterId, text: "Masquer les règles conformes (" + counts.ok + ")" })
    ]));
    var table = el("table", { className: "results" }, [
      el("caption", { text: "Résultat de chaque règle (" + rows.length + ")" }),
      el("thead", null, [el("tr", null, [
        el("th", { scope: "col", text: "Verdict" }),
        el("th", { scope: "col", text: "Règle" }),
        el("th", { scope: "col", text: "Action" }),
        el("th", { scope: "col", text: "Message" }),
        el("th", { scope: "col", text: "Source" })
      ])])
    ]);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var verdict = RULE_VERDICTS[r.verdict] ? r.verdict : "info";
      tbody.appendChild(el("tr", { className: "row--" + verdict, "data-verdict": r.verdict, "data-rule": r.rule }, [
        el("td", { "data-label": "Verdict" }, [el("span", { className: "badge badge--" + verdict, text: RULE_VERDICTS[verdict] })]),
        el("td", { "data-label": "Règle", className: "results__rule" }, [
          r.rule_title ? el("span", { className: "results__rule-title", text: r.rule_title }) : null,
          ruleCode(r.rule)
        ]),
        el("td", { "data-label": "Action", text: r.action === null || r.action === undefined ? "Contrat entier" : String(r.action) }),
        el("td", { "data-label": "Message", className: "results__message", text: r.message || "" }),
        el("td", { "data-label": "Source", className: "results__source" }, [ruleCitationButton(r.citation)])
      ]));
    });
    table.appendChild(tbody);
    hideOk.addEventListener("change", function () { table.classList.toggle("results--hide-ok", hideOk.checked); });
    out.appendChild(el("div", { className: "table-wrap" }, [table]));
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
      renderCheck(result, sourceName);
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

  document.addEventListener("DOMContentLoaded", function () {
    setupTabs();
    setupAsk();
    setupSourcePanel();
    setupCheck();
    setupApiKey();
    document.documentElement.setAttribute("data-ready", "true");
  });
})();
