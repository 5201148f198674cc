/* Pacte Assistant — the corpus documents: list, upload form with progress while the corpus is re-indexed, removal.
   Self-contained (the chat page is app.js): it adds its own section at the end of the page's main content.
   Server data is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var MAX_DOCUMENT = 20 * 1024 * 1024;
  var ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt";
  var KINDS = [
    ["other", "Autre"],
    ["instruction", "Instruction, circulaire"],
    ["contract", "Contrat, délibération"],
    ["notes", "Compte rendu, notes"],
    ["faq", "Questions-réponses"]
  ];
  var KIND_LABELS = { instruction: "instruction", contract: "contrat", contrat: "contrat", notes: "notes", faq: "FAQ", other: "autre" };

  // DOM building and the session's API key: app.js's (loaded before this script).
  var el = window.Pacte.el;
  var apiKey = window.Pacte.apiKey;

  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"); }

  function detailOf(xhrOrText, status) {
    try {
      var data = JSON.parse(xhrOrText);
      if (data && typeof data.detail === "string") return data.detail;
    } catch (e) { /* not JSON */ }
    return status ? "Le serveur a répondu par une erreur (" + status + ")." : "Le serveur ne répond pas. Vérifiez qu'il est démarré puis réessayez.";
  }

  // One request helper for the list and the removal (the upload uses XMLHttpRequest for its progress events).
  function request(method, path, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, path);
    var key = apiKey();
    if (key) xhr.setRequestHeader("X-API-Key", key);
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        done(null, data);
      } else done(detailOf(xhr.responseText, xhr.status));
    };
    xhr.onerror = function () { done(detailOf("", 0)); };
    xhr.send();
    return xhr;
  }

  var ui = {};

  function build() {
    var host = document.getElementById("contenu") || document.body;
    var fileInput = el("input", {
      className: "file-picker__input", type: "file", id: "document-file", name: "file", accept: ACCEPT,
      "aria-describedby": "document-file-hint document-file-name"
    });
    var kind = el("select", { className: "input", id: "document-kind", name: "kind" },
      KINDS.map(function (k) { return el("option", { value: k[0], text: k[1] }); }));
    ui.section = el("section", { className: "documents", id: "documents", "aria-labelledby": "documents-title" }, [
      el("h2", { className: "title", id: "documents-title", text: "Documents du corpus" }),
      el("p", { className: "lead", text: "Les réponses citent ces documents, ligne à ligne. Ajoutez les vôtres (contrats, délibérations, " +
        "comptes rendus…) : chaque fichier est converti une fois en texte, et les citations renvoient à ce texte." }),
      ui.list = el("ul", { className: "documents__list", id: "documents-list", "aria-live": "polite" }),
      ui.form = el("form", { className: "documents__form", id: "document-form", novalidate: true }, [
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "document-file" }, [
            "Ajouter un document",
            el("span", { className: "hint", id: "document-file-hint",
              text: "PDF (avec sa couche texte), Word (.docx), HTML, Markdown ou texte, 20 Mo au plus." })
          ]),
          el("div", { className: "file-picker" }, [
            fileInput,
            el("span", { className: "btn btn--secondary file-picker__button", "aria-hidden": "true", text: "Choisir un fichier" }),
            ui.fileName = el("span", { className: "file-picker__name", id: "document-file-name", text: "Aucun fichier choisi" })
          ])
        ]),
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "document-title" }, ["Titre",
            el("span", { className: "hint", text: "Facultatif : celui du fichier par défaut." })]),
          ui.title = el("input", { className: "input", type: "text", id: "document-title", name: "title", maxlength: "300", autocomplete: "off" })
        ]),
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "document-territory" }, ["Territoire",
            el("span", { className: "hint", text: "Facultatif : le département, la métropole ou la région dont parle le document." })]),
          ui.territory = el("input", { className: "input", type: "text", id: "document-territory", name: "territory", maxlength: "300", autocomplete: "off" })
        ]),
        el("div", { className: "field" }, [
          el("label", { className: "label", for: "document-kind", text: "Type de document" }),
          kind
        ]),
        el("div", { className: "btn-group" }, [
          ui.submit = el("button", { type: "submit", className: "btn btn--primary", id: "document-submit", text: "Ajouter au corpus" })
        ])
      ]),
      ui.alert = el("div", { className: "alert alert--error", id: "document-alert", role: "alert", hidden: true }),
      ui.progressBox = el("div", { className: "documents__progress", id: "document-progress", hidden: true }, [
        ui.progress = el("progress", { id: "document-progress-bar", max: "100", value: "0", "aria-labelledby": "document-progress-label" })
      ]),
      ui.status = el("p", { className: "status", id: "document-progress-label", role: "status", "aria-live": "polite" })
    ]);
    ui.file = fileInput;
    ui.kind = kind;
    host.appendChild(ui.section);
    fileInput.addEventListener("change", function () {
      ui.fileName.textContent = fileInput.files && fileInput.files[0] ? fileInput.files[0].name : "Aucun fichier choisi";
    });
    ui.form.addEventListener("submit", function (event) { event.preventDefault(); upload(); });
  }

  function showError(message) {
    ui.alert.textContent = "";
    ui.alert.appendChild(el("p", { className: "alert__title", text: "Erreur" }));
    ui.alert.appendChild(el("p", { text: message }));
    ui.alert.hidden = false;
  }

  function setStatus(message, busy) {
    ui.status.textContent = message || "";
    ui.status.classList.toggle("is-busy", !!busy);
  }

  function render(documents) {
    ui.list.textContent = "";
    documents.forEach(function (d) {
      var facts = [d.doc_id, KIND_LABELS[d.kind] || d.kind];
      if (d.territory) facts.push(d.territory);
      if (typeof d.lines === "number") facts.push(thousands(d.lines) + " lignes");
      facts.push(d.shipped ? "livré" : "ajouté");
      var item = el("li", { className: "documents__item", "data-doc-id": d.doc_id }, [
        el("span", { className: "documents__title", text: d.title }), " ",
        el("span", { className: "hint", text: facts.join(" · ") })
      ]);
      if (!d.shipped) {
        item.appendChild(el("button", {
          type: "button", className: "btn btn--tertiary btn--sm", text: "Retirer",
          "aria-label": "Retirer le document « " + d.title + " » du corpus",
          onclick: function () { remove(d); }
        }));
      }
      ui.list.appendChild(item);
    });
  }

  function refresh() {
    request("GET", "/api/documents", function (error, data) {
      if (error) { showError(error); return; }
      render((data && data.documents) || []);
    });
  }

  function busy(on) {
    ui.submit.disabled = on;
    ui.file.disabled = on;
  }

  var timer = null;
  function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }

  function upload() {
    ui.alert.hidden = true;
    var file = ui.file.files && ui.file.files[0];
    if (!file) { showError("Choisissez d'abord un fichier."); ui.file.focus(); return; }
    if (file.size === 0) { showError("Le fichier « " + file.name + " » est vide."); return; }
    if (file.size > MAX_DOCUMENT) { showError("Le fichier « " + file.name + " » dépasse 20 Mo."); return; }
    var body = new FormData();
    body.append("file", file, file.name);
    if (ui.title.value.trim()) body.append("title", ui.title.value.trim());
    if (ui.territory.value.trim()) body.append("territory", ui.territory.value.trim());
    body.append("kind", ui.kind.value);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/documents");
    var key = apiKey();
    if (key) xhr.setRequestHeader("X-API-Key", key);
    busy(true);
    ui.progressBox.hidden = false;
    ui.progress.setAttribute("value", "0");
    setStatus("Envoi du fichier… 0 %", true);
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round(100 * event.loaded / event.total);
      ui.progress.setAttribute("value", String(percent));
      setStatus("Envoi du fichier… " + percent + " %", true);
    };
    xhr.upload.onload = function () {
      // The server now converts the file and embeds its passages: no measurable progress, the elapsed time.
      ui.progress.removeAttribute("value");
      var started = Date.now();
      setStatus("Conversion et indexation en cours…", true);
      stopTimer();
      timer = setInterval(function () {
        setStatus("Conversion et indexation en cours… " + Math.round((Date.now() - started) / 1000) + " s", true);
      }, 1000);
    };
    xhr.onload = function () {
      stopTimer();
      busy(false);
      ui.progressBox.hidden = true;
      if (xhr.status === 201) {
        var report = JSON.parse(xhr.responseText);
        setStatus("Document ajouté : « " + report.document.title + " » (" + thousands(report.chunks) +
          " passages, indexés en " + String(report.seconds).replace(".", ",") + " s).", false);
        ui.form.reset();
        ui.fileName.textContent = "Aucun fichier choisi";
        refresh();
      } else {
        setStatus("", false);
        showError(detailOf(xhr.responseText, xhr.status));
      }
    };
    xhr.onerror = function () {
      stopTimer();
      busy(false);
      ui.progressBox.hidden = true;
      setStatus("", false);
      showError(detailOf("", 0));
    };
    xhr.send(body);
  }

  function remove(d) {
    if (!window.confirm("Retirer « " + d.title + " » du corpus ? Ses passages ne seront plus cités.")) return;
    ui.alert.hidden = true;
    setStatus("Retrait de « " + d.title + " » et mise à jour de l'index…", true);
    request("DELETE", "/api/documents/" + encodeURIComponent(d.doc_id), function (error) {
      if (error) { setStatus("", false); showError(error); return; }
      setStatus("Document retiré : « " + d.title + " ».", false);
      refresh();
    });
  }

  function start() { build(); refresh(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
