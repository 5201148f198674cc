"""The `pacte` command line. Each subcommand lives beside its feature and is imported lazily,
so `pacte check` never loads the index or the embedder."""

from __future__ import annotations

import importlib
import sys

import click

from . import __version__
from .errors import PacteError

# name -> ("module:attribute" of a click command, short help shown by `pacte --help` without importing it)
COMMANDS = {
    "index": ("assistant.index_cli:index_cmd", "Construit (ou met à jour) l'index de recherche du corpus."),
    "search": ("assistant.index_cli:search_cmd", "Recherche les passages du corpus qui répondent à une question."),
    "train": ("assistant.index_cli:train_cmd", "Réentraîne les modèles appris sur le jeu d'entraînement."),
    "ask": ("assistant.answer_cli:ask_cmd", "Répond à une question avec des citations exactes du corpus."),
    "eligibility": ("assistant.answer_cli:eligibility_cmd", "Dit si une action relève d'un référentiel, et à quelles conditions."),
    "indicators": ("assistant.indicators:indicators_cmd", "Liste les indicateurs nationaux par axe et section."),
    "check": ("assistant.rules.cli:check_cmd", "Contrôle un tableau de contrat : parité, plafonds, planchers."),
    "extract": ("assistant.audit.cli:extract_cmd", "Extrait d'un document le contrat au format de « pacte check »."),
    "audit": ("assistant.audit.cli:audit_cmd", "Audite un document de contrat : règles et cohérence des montants."),
    "corpus": ("assistant.corpus_cli:corpus_group", "Ajoute, liste, affiche ou retire les documents du corpus."),
    "eval": ("eval.cli:eval_group", "Évalue un système de réponses sur les jeux de test."),
    "serve": ("api.cli:serve_cmd", "Lance le service web et la page de discussion."),
    "chroma": ("assistant.chroma_cli:chroma_group", "Lance un serveur Chroma partagé (PACTE_CHROMA_URL)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target[0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        with formatter.section("Commandes"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pacte")
def cli():
    """Pacte Assistant : questions, éligibilité, indicateurs et contrôle des contrats locaux des solidarités."""


# click's usage messages, in French (the rest of the message — names, values — is kept as is).
_USAGE_FR = [
    (r"^Missing argument '(.+)'\.?$", r"argument manquant : \1."),
    (r"^Missing option '(.+)'\.?$", r"option obligatoire manquante : \1."),
    (r"^No such option:? '?([^'\s.]+)'?\.?(?: Did you mean .*)?$", r"option inconnue : \1."),
    (r"^No such command '(.+)'\.?$", r"commande inconnue : « \1 »."),
    (r"^Invalid value for '(.+?)': (.*)$", r"valeur invalide pour \1 : \2"),
    (r"^Got unexpected extra arguments? \((.+)\)$", r"arguments en trop : \1."),
    (r"^Option '(.+)' requires an argument\.?$", r"l'option \1 attend une valeur."),
    (r"^(.+) does not exist\.?$", r"\1 n'existe pas."),
    (r"File '(.+)' is a directory\.?", r"« \1 » est un dossier, pas un fichier."),
    (r"is not in the range", "n'est pas dans l'intervalle"),
    (r"is not a valid integer(?: range)?", "n'est pas un entier valide"),
    (r"is not one of", "n'est pas parmi"),
    (r"^File '(.+)'", r"le fichier « \1 »"),
]


def french_usage_error(message: str) -> str:
    import re

    for pattern, replacement in _USAGE_FR:
        message = re.sub(pattern, replacement, message)
    return message[:1].upper() + message[1:]


def main(argv=None):
    """Entry point: French message and exit 2 on a PacteError, never a traceback for user errors."""
    try:
        # standalone_mode=False returns the code of ctx.exit(n) instead of exiting: pass it on.
        code = cli.main(args=argv, prog_name="pacte", standalone_mode=False)
    except PacteError as exc:
        click.echo(f"Erreur : {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Interrompu.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"Erreur : {french_usage_error(exc.format_message())}", err=True)
        command = exc.ctx.command_path if exc.ctx else "pacte"
        click.echo(f"Aide : {command} --help", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"Erreur : {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
