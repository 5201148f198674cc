/* Pacte Assistant — "Audit" tab: audit a contract document (POST /api/audit) and show each finding with
   the places it compares side by side, each with a link into the document.
   Self-contained: it adds its own tab and panel to the page's tab list, so that the chat page (app.js)
   can change without this file. Server data is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var MAX_UPLOAD = 2 * 1024 * 1024;
  var CONTEXT = 4; // lines shown around a cited span
  var SEVERITY = { error: "Erreur", warning: "À vérifier", info: "Information" };
  var KINDS = {
    total_mismatch: "Total différent de la somme",
    amount_mismatch: "Montant différent d'un endroit à l'autre",
    percentage_mismatch: "Pourcentage différent du calcul",
    volets_mismatch: "Volets différents du budget",
    missing_year: "Année manquante",
    title_mismatch: "Intitulé différent",
    numbering_mismatch: "Numérotation différente",
    axis_label_mismatch: "Axe mal libellé",
    funder_split: "Financements répartis différemment",
    axis_mismatch: "Axe différent du référentiel"
  };
  var VERDICTS = { violation: "Violation", warning: "Avertissement", info: "Information", ok: "Conforme" };

  function $(id) { return document.getElementById(id); }

  // DOM building and the session's API key: app.js's (loaded before this script).
  var el = window.Pacte.el;
  var apiKey = window.Pacte.apiKey;

  function request(path, options) {
    options = options || {};
    options.headers = options.headers || {};
    var key = apiKey();
    if (key) options.headers["X-API-Key"] = key;
    return fetch(path, options).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data && data.detail) || ("Erreur HTTP " + resp.status));
        return data;
      }, function () { throw new Error("Réponse illisible du serveur (HTTP " + resp.status + ")."); });
    }, function () { throw new Error("Le serveur ne répond pas. Vérifiez votre connexion et réessayez."); });
  }

  function linesLabel(a, b) { return a === b ? "ligne " + a : "lignes " + a + " à " + b; }

  // ---- the tab and its panel ---------------------------------------------------------------------

  function buildPanel() {
    var list = document.querySelector(".tabs__list");
    var lastPanel = document.querySelector(".tabs__panel:last-of-type") || document.querySelector(".tabs__panel");
    if (!list || !lastPanel) return null;
    var tab = el("button", {
      type: "button", className: "tabs__tab", role: "tab", id: "tab-audit", "aria-controls": "panel-audit",
      "aria-selected": "false", tabindex: "-1", text: "Auditer un document"
    });
    list.appendChild(tab);
    var options = [el("option", { value: "", text: "— Choisir un document du corpus —" })];
    var panel = el("section", { className: "tabs__panel", role: "tabpanel", id: "panel-audit", "aria-labelledby": "tab-audit", hidden: true }, [
      el("h2", { className: "title", text: "Auditer un document de contrat" }),
      el("p", { className: "lead", text: "L'audit lit le contrat dans son document (fiches action, tableaux financiers, totaux), " +
        "applique les règles du cadre financier et signale ce qui ne concorde pas : totaux, montants répétés, pourcentages, " +
        "années, axes. Chaque constat cite les deux endroits comparés." }),
      el("form", { className: "audit-form", id: "audit-form", novalidate: true }, [
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "audit-document", text: "Document du corpus" }),
          el("select", { className: "input", id: "audit-document" }, options)
        ]),
        el("p", { className: "separator" }, [el("span", { text: "ou" })]),
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "audit-file" }, [
            "Fichier à auditer",
            el("span", { className: "hint", id: "audit-file-hint", text: "Texte (.txt), markdown (.md), Excel (.xlsx) ou CSV (.csv), 2 Mo au plus. Un PDF s'ajoute d'abord au corpus." })
          ]),
          el("input", { className: "input", type: "file", id: "audit-file", accept: ".txt,.md,.xlsx,.csv", "aria-describedby": "audit-file-hint" })
        ]),
        el("div", { className: "field audit-form__check" }, [
          el("input", { type: "checkbox", id: "audit-axes", checked: true }),
          el("label", { for: "audit-axes", text: " Comparer l'axe de chaque action au référentiel (plus lent la première fois)" })
        ]),
        el("div", { className: "btn-group" }, [
          el("button", { type: "submit", className: "btn btn--primary", id: "audit-submit", text: "Auditer" })
        ])
      ]),
      el("div", { className: "alert alert--error", id: "audit-alert", role: "alert", hidden: true }),
      el("p", { className: "status", id: "audit-status", role: "status", "aria-live": "polite" }),
      el("div", { className: "audit-result", id: "audit-result" })
    ]);
    lastPanel.parentNode.insertBefore(panel, lastPanel.nextSibling);
    tab.addEventListener("click", function () { select(tab); });
    Array.prototype.forEach.call(list.querySelectorAll('[role="tab"]'), function (other) {
      if (other !== tab) other.addEventListener("click", function () { panel.hidden = true; tab.setAttribute("aria-selected", "false"); tab.tabIndex = -1; });
    });
    return tab;
  }

  // The page's own tab script may handle the new tab too (it lists role="tab" buttons); doing the same
  // here keeps the tab working whatever that script becomes.
  function select(tab) {
    Array.prototype.forEach.call(document.querySelectorAll('.tabs__list [role="tab"]'), function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = $(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (tab.id === "tab-audit" && history.replaceState) history.replaceState(null, "", "#audit");
  }

  function loadDocuments() {
    request("/api/health").then(function (health) {
      var select = $("audit-document");
      Object.keys(health.corpus || {}).forEach(function (id) {
        select.appendChild(el("option", { value: id, text: id }));
      });
      select.value = Object.keys(health.corpus || {}).indexOf("pas-de-calais-contrat-2024") >= 0 ? "pas-de-calais-contrat-2024" : "";
    }, function () { /* the list stays empty: a file can still be audited */ });
  }

  // ---- submit ------------------------------------------------------------------------------------

  function showAlert(message) { var a = $("audit-alert"); a.textContent = message; a.hidden = false; a.focus && a.focus(); }
  function hideAlert() { var a = $("audit-alert"); a.hidden = true; a.textContent = ""; }

  function submit(e) {
    e.preventDefault();
    hideAlert();
    var file = $("audit-file").files[0];
    var doc = $("audit-document").value;
    var axes = $("audit-axes").checked;
    var options;
    if (file) {
      if (file.size > MAX_UPLOAD) { showAlert("Le fichier dépasse 2 Mo."); return; }
      var form = new FormData();
      form.append("file", file, file.name);
      form.append("axes", axes ? "true" : "false");
      options = { method: "POST", body: form };
    } else if (doc) {
      options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ document: doc, axes: axes }) };
    } else {
      showAlert("Choisissez un document du corpus ou un fichier à auditer.");
      return;
    }
    var button = $("audit-submit");
    button.disabled = true;
    $("audit-status").textContent = "Audit en cours…";
    $("audit-result").textContent = "";
    var localText = file && /\.(txt|md)$/i.test(file.name) ? file.text() : Promise.resolve(null);
    Promise.all([request("/api/audit", options), localText]).then(function (both) {
      var report = both[0];
      if (both[1] !== null) report.localLines = both[1].split("\n");
      $("audit-status").textContent = "Audit terminé : " + report.findings.length + " constat(s).";
      render(report);
    }, function (err) {
      $("audit-status").textContent = "";
      showAlert(err.message);
    }).then(function () { button.disabled = false; });
  }

  // ---- rendering ---------------------------------------------------------------------------------

  function render(report) {
    var out = $("audit-result");
    out.textContent = "";
    var s = report.summary;
    var ko = s.findings.error > 0 || s.violations > 0;
    out.appendChild(el("div", { className: "check-summary " + (ko ? "check-summary--ko" : "check-summary--ok") }, [
      el("p", { className: "check-summary__title", text: ko ? "Des chiffres ne concordent pas" : "Aucune contradiction chiffrée" }),
      el("p", { text: report.title + " — " + s.actions + " action(s) ; " + s.findings.error + " erreur(s), " +
        s.findings.warning + " point(s) à vérifier, " + s.findings.info + " information(s) ; " + s.violations + " violation(s) des règles." })
    ]));
    if (report.findings.length) {
      out.appendChild(el("h3", { className: "audit-heading", text: "Constats de cohérence" }));
      var list = el("ol", { className: "audit-findings" });
      report.findings.forEach(function (f, i) { list.appendChild(findingItem(report, f, i)); });
      out.appendChild(list);
    }
    var rules = report.rules.filter(function (r) { return r.verdict !== "ok"; });
    if (rules.length) {
      var details = el("details", { className: "audit-rules" }, [
        el("summary", { text: "Règles du cadre financier : " + rules.length + " résultat(s) à lire" })
      ]);
      var ul = el("ul", {});
      rules.forEach(function (r) {
        ul.appendChild(el("li", {}, [
          el("span", { className: "badge badge--" + r.verdict, text: VERDICTS[r.verdict] || r.verdict }), " ",
          el("strong", { text: r.rule + (r.action ? " — action " + r.action : "") }), " : " + r.message
        ]));
      });
      details.appendChild(ul);
      out.appendChild(details);
    }
    if (report.notes && report.notes.length) {
      var notes = el("ul", { className: "audit-notes" });
      report.notes.forEach(function (n) { notes.appendChild(el("li", { text: n })); });
      out.appendChild(el("div", { className: "notice" }, [el("p", { className: "notice__title", text: "Notes" }), notes]));
    }
  }

  function findingItem(report, f, i) {
    var badge = f.severity === "error" ? "violation" : f.severity;
    var places = el("div", { className: "audit-places" });
    f.citations.forEach(function (c, k) { places.appendChild(citationBox(report, c, k)); });
    return el("li", { className: "audit-finding audit-finding--" + f.severity }, [
      el("p", { className: "audit-finding__head" }, [
        el("span", { className: "badge badge--" + badge, text: SEVERITY[f.severity] || f.severity }), " ",
        el("span", { className: "audit-finding__kind", text: (KINDS[f.kind] || f.kind) + (f.action ? " — action " + f.action : "") })
      ]),
      el("p", { className: "audit-finding__message", text: f.message }),
      places
    ]);
  }

  function citationBox(report, c, k) {
    var where = (c.doc_id === report.doc_id ? "Document audité" : c.doc_id) + ", " + linesLabel(c.line_start, c.line_end);
    var box = el("figure", { className: "audit-place" }, [
      el("figcaption", { className: "audit-place__where", text: "Endroit " + (k + 1) + " · " + where }),
      el("blockquote", { className: "audit-place__quote", text: c.quote })
    ]);
    var viewable = c.doc_id !== report.doc_id || report.in_corpus || report.localLines || (report.excerpts && report.excerpts[c.doc_id]);
    if (viewable) {
      box.appendChild(el("button", {
        type: "button", className: "link-button audit-place__open", text: "Voir dans le document",
        "aria-label": "Voir dans le document : " + where,
        onclick: function (e) { openViewer(report, c, e.currentTarget); }
      }));
    }
    return box;
  }

  // ---- document viewer: the page's source panel when there is one, else under the citation --------

  function localLines(report, c) {
    if (c.doc_id !== report.doc_id) return null;
    var start = Math.max(1, c.line_start - CONTEXT), end = c.line_end + CONTEXT, out = [];
    for (var n = start; n <= end; n++) {
      var text = report.localLines ? report.localLines[n - 1] : (report.excerpts[c.doc_id] || {})[String(n)];
      if (text !== undefined) out.push({ number: n, text: text });
    }
    return { doc_id: c.doc_id, doc_title: report.title, lines: out };
  }

  function openViewer(report, c, opener) {
    var target = viewerTarget(opener);
    target.body.textContent = "";
    target.body.appendChild(el("p", { className: "status", text: "Chargement du passage…" }));
    var local = (c.doc_id === report.doc_id && !report.in_corpus) ? localLines(report, c) : null;
    var load = local ? Promise.resolve(local) :
      request("/api/documents/" + encodeURIComponent(c.doc_id) + "?start=" + Math.max(1, c.line_start - CONTEXT) + "&end=" + (c.line_end + CONTEXT));
    load.then(function (doc) { showLines(target, c, doc); }, function (err) {
      target.body.textContent = "";
      target.body.appendChild(el("div", { className: "alert alert--error", role: "alert", text: err.message }));
    });
  }

  function viewerTarget(opener) {
    var panel = $("source-panel"), body = $("source-body"), title = $("source-title");
    if (panel && body && title) {
      panel.hidden = false;
      document.body.classList.add("has-panel");
      title.textContent = "Passage du document audité";
      title.focus();
      return { body: body };
    }
    var box = opener.parentNode;
    var inline = box.querySelector(".audit-inline") || box.appendChild(el("div", { className: "audit-inline" }));
    return { body: inline };
  }

  function showLines(target, c, doc) {
    var body = target.body;
    body.textContent = "";
    body.appendChild(el("p", { className: "source__doc", text: doc.doc_title }));
    body.appendChild(el("p", { className: "source__lines", text: "Lignes citées : " + c.line_start + " à " + c.line_end }));
    var list = el("ol", { className: "excerpt", "aria-label": "Extrait du document ; lignes citées surlignées" });
    doc.lines.forEach(function (line) {
      var cited = line.number >= c.line_start && line.number <= c.line_end;
      var text = el("span", { className: "excerpt__text" });
      if (cited) {
        text.appendChild(el("mark", { text: line.text }));
        text.appendChild(el("span", { className: "visually-hidden", text: " (ligne citée)" }));
      } else {
        text.textContent = line.text;
      }
      list.appendChild(el("li", { className: "excerpt__line" + (cited ? " excerpt__line--cited" : ""), "data-line": line.number },
        [el("span", { className: "excerpt__no", "aria-hidden": "true", text: String(line.number) }), text]));
    });
    body.appendChild(list);
  }

  // ---- start -------------------------------------------------------------------------------------

  var tab = buildPanel();
  if (!tab) return;
  document.addEventListener("DOMContentLoaded", function () {
    $("audit-form").addEventListener("submit", submit);
    loadDocuments();
    if (location.hash === "#audit") select(tab);
  });
})();
