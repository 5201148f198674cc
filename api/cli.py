"""`pacte serve`: the API and the chat page under uvicorn (PACTE_HOST / PACTE_PORT, 127.0.0.1:8000), in one or
several worker processes (PACTE_WORKERS, default one per core) sharing the read-only index."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os

import click

from assistant.facade import Settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default=None, help="Adresse d'écoute (défaut : PACTE_HOST ou 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (défaut : PACTE_PORT ou 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Nombre de processus de service (défaut : PACTE_WORKERS ou le nombre de cœurs).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="Niveau de journalisation.",
)
def serve_cmd(host: str | None, port: int | None, workers: int | None, log_level: str):
    """Sert l'API et la page de conversation (http://127.0.0.1:8000 par défaut)."""
    import uvicorn

    settings = Settings.from_env()
    settings = dataclasses.replace(settings, host=host or settings.host, port=port or settings.port)
    workers = workers or settings.workers or os.cpu_count() or 1
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    if not _is_loopback(settings.host) and not settings.api_key:
        click.echo(
            f"Attention : le service écoute sur {settings.host} sans clé d'API. "
            "Définissez PACTE_API_KEY pour protéger /api/*.",
            err=True,
        )
    url = f"http://{settings.host}:{settings.port}/"
    if workers == 1:
        from .app import create_app
        from .services import Services

        click.echo("Chargement du corpus et de l'index…", err=True)
        services = Services(settings).start()
        _warn_without_index(services.health()["index"], services.health()["assistant_loaded"])
        click.echo(f"Pacte Assistant : {url}", err=True)
        uvicorn.run(
            create_app(settings, services=services),
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            server_header=False,
        )
        return

    from assistant.facade import index_status

    status = index_status(settings)
    _warn_without_index(status, status["ok"])
    # Each worker loads the corpus and the index itself (they are memory-mapped or read-only files, shared through
    # the page cache); the OpenMP threads of the embedder are split between them rather than multiplied.
    cores = os.cpu_count() or 1
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, cores // workers)))
    click.echo(f"Pacte Assistant : {url} ({workers} processus)", err=True)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        server_header=False,
    )


def _warn_without_index(index: dict, ready: bool) -> None:
    if not ready:
        reason = index.get("message") or "index indisponible"
        click.echo(
            f"Attention : les questions ne pourront pas recevoir de réponse ({reason}). "
            "Lancez « pacte index » ; le contrôle des contrats reste disponible.",
            err=True,
        )
