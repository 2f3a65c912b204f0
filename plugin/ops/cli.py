"""Command line: naltrexone-cds evaluate | serve | (commands registered at the bottom)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import orjson


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """naltrexone-cds: CDS Hooks service guarding naltrexone starts."""


@main.command("evaluate")
@click.argument("request_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--now", "now", default=None, help="ISO date standing in for today (replay).")
@click.option("--service", "service_id", default=None, help="Service id (default: from the request's hook).")
def evaluate_command(request_file: Path, now: str | None, service_id: str | None) -> None:
    """Print the CDS Hooks response for REQUEST_FILE (offline: prefetch only).

    REQUEST_FILE is a hook request, or a scenario file with a "request" member.
    """
    from plugin import create_app
    from plugin.http.services import SERVICES

    try:
        body = orjson.loads(request_file.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise click.ClickException(f"{request_file} is not valid JSON: {exc.msg}") from None
    if isinstance(body, dict) and isinstance(body.get("request"), dict):
        now = now or body.get("now")
        body = body["request"]
    hook = body.get("hook") if isinstance(body, dict) else None
    if service_id is None:
        service_id = next((s.id for s in SERVICES.values() if s.hook == hook), None)
        if service_id is None:
            raise click.ClickException(f"no service answers hook {hook!r}; pass --service")
    body = {k: v for k, v in body.items() if k not in ("fhirServer", "fhirAuthorization")}
    # Offline: nothing of this run may reach the service's own card log.
    with tempfile.TemporaryDirectory() as state:
        db = f"sqlite:///{state}/evaluate.sqlite3"
        settings = {"auth": "none", "state_dir": state, "database_url": db, **({"now": now} if now else {})}
        response = create_app(settings).test_client().post(f"/cds-services/{service_id}", json=body)
    sys.stdout.write(orjson.dumps(response.get_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    if response.status_code != 200:
        raise SystemExit(1)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Development: AUTH=none, one worker, loud warning.")
def serve_command(host: str, port: int, dev: bool) -> None:
    """Run the service under gunicorn."""
    from plugin.ops.server import run

    run(host=host, port=port, dev=dev)


# Commands contributed by other modules are registered here.
from plugin.storage.cli import db_group  # noqa: E402

main.add_command(db_group)

from plugin.ops.seed import seed_fhir  # noqa: E402 - registered below the group on purpose

main.add_command(seed_fhir)

from plugin.ops.report import feedback_report_command  # noqa: E402

main.add_command(feedback_report_command)
