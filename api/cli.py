"""`pacte serve`: the API and the chat page under uvicorn (PACTE_HOST / PACTE_PORT, 127.0.0.1:8000)."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging

import click

from assistant.config import Settings


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
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="Niveau de journalisation.",
)
def serve_cmd(host: str | None, port: int | None, log_level: str):
    """Sert l'API et la page de conversation (http://127.0.0.1:8000 par défaut)."""
    import uvicorn

    from .app import create_app
    from .services import Services

    settings = Settings.from_env()
    settings = dataclasses.replace(settings, host=host or settings.host, port=port or settings.port)
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    if not _is_loopback(settings.host) and not settings.api_key:
        click.echo(
            f"Attention : le service écoute sur {settings.host} sans clé d'API. "
            "Définissez PACTE_API_KEY pour protéger /api/*.",
            err=True,
        )

    click.echo("Chargement du corpus et de l'index…", err=True)
    services = Services(settings).start()
    health = services.health()
    if not health["assistant_loaded"]:
        reason = health["index"].get("message") or "index indisponible"
        click.echo(
            f"Attention : les questions ne pourront pas recevoir de réponse ({reason}). "
            "Lancez « pacte index » ; le contrôle des contrats reste disponible.",
            err=True,
        )
    click.echo(f"Pacte Assistant : http://{settings.host}:{settings.port}/", err=True)
    uvicorn.run(
        create_app(settings, services=services),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        server_header=False,
    )
