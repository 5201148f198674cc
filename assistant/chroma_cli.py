"""`pacte chroma serve`: a local Chroma server (the official `chroma run`) for PACTE_CHROMA_URL."""

from __future__ import annotations

from pathlib import Path

import click

from .config import Settings


@click.group("chroma")
def chroma_group():
    """Serveur Chroma partagé par les processus de service (PACTE_CHROMA_URL)."""


@chroma_group.command("serve")
@click.option("--path", "path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dossier des données du serveur (défaut : PACTE_CHROMA_PATH ou index/chroma-server).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port.")
def serve_cmd(path: Path | None, host: str, port: int):
    """Lance un serveur Chroma ; utilisez-le avec PACTE_CHROMA_URL=http://HÔTE:PORT (index, recherche, API)."""
    import chromadb_rust_bindings

    path = path or Settings.from_env().chroma_data_dir
    path.mkdir(parents=True, exist_ok=True)
    click.echo(f"Serveur Chroma : données dans {path}", err=True)
    click.echo(f"Utilisez-le avec : PACTE_CHROMA_URL=http://{host}:{port}", err=True)
    try:
        # The same entry point as `chroma run` (chromadb's CLI): the server runs in this process until stopped.
        chromadb_rust_bindings.cli(["chroma", "run", "--path", str(path), "--host", host, "--port", str(port)])
    except KeyboardInterrupt:
        pass
