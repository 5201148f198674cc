"""Reading JSONL batch files ({"id", "<field>"} per line), validated whole before any work starts."""

from __future__ import annotations

import errno
import json
from pathlib import Path

from .errors import InvalidInput
from .validation import clean_text

MAX_BATCH_BYTES = 50 * 1024 * 1024


def _why(exc: OSError) -> str:
    """The reason of a read failure in French (the system's own message is in the machine's language)."""
    return {
        errno.ENOENT: "fichier introuvable",
        errno.EACCES: "accès refusé",
        errno.EPERM: "accès refusé",
        errno.EISDIR: "c'est un dossier, pas un fichier",
        errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
        errno.ENAMETOOLONG: "chemin trop long",
    }.get(exc.errno, f"erreur d'entrée-sortie ({errno.errorcode.get(exc.errno, exc.errno)})")


def read_batch(path: str | Path, field: str = "question", what: str = "La question") -> list[tuple[str, str, dict]]:
    """[(id, text, record)] from a JSONL file; InvalidInput naming the line and field on the first problem."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BATCH_BYTES:
            raise InvalidInput(f"Le fichier {path} dépasse {MAX_BATCH_BYTES // (1024 * 1024)} Mo.")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Impossible de lire le fichier {path} : {_why(exc)}.") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors, Excel exports) is not part of line 1
    except UnicodeDecodeError:
        raise InvalidInput(f"Le fichier {path} n'est pas encodé en UTF-8.") from None
    items, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise InvalidInput(f"{path}, ligne {number} : ce n'est pas un objet JSON valide.") from None
        if not isinstance(record, dict):
            raise InvalidInput(f"{path}, ligne {number} : un objet JSON {{\"id\", \"{field}\"}} est attendu.")
        if "id" not in record or not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
            raise InvalidInput(f"{path}, ligne {number} : champ « id » manquant ou invalide.")
        if field not in record:
            raise InvalidInput(f"{path}, ligne {number} : champ « {field} » manquant.")
        item_id = str(record["id"])
        if item_id in seen:
            raise InvalidInput(f"{path}, ligne {number} : identifiant « {item_id} » en double.")
        seen.add(item_id)
        try:
            value = clean_text(record[field], what)
        except InvalidInput as exc:
            raise InvalidInput(f"{path}, ligne {number} (id « {item_id} ») : {exc.message}") from None
        items.append((item_id, value, record))
    if not items:
        raise InvalidInput(f"Le fichier {path} ne contient aucune ligne.")
    return items
