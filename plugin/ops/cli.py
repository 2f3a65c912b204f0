"""Command line: naltrexone-cds evaluate | serve | (commands registered at the bottom)."""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click
import orjson

from plugin.clinical.policy import PolicyError
from plugin.settings import SettingsError

CONFIGURATION_ERROR = 2  # as click's usage errors: the command could not start as configured


class IsoDate(click.ParamType[str, Any]):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        self.fail(f"{value!r}: expected an ISO date YYYY-MM-DD", param, ctx)


class OneLineErrors(click.Group):
    """Configuration and usage errors as one line on stderr, exit code 2 - never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "naltrexone-cds"
            click.echo(f"{where}: error: {exc.format_message()} (see {where} --help)", err=True)
            sys.exit(CONFIGURATION_ERROR)
        except (SettingsError, PolicyError) as exc:
            click.echo(f"naltrexone-cds: configuration error: {exc}", err=True)
            sys.exit(CONFIGURATION_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """naltrexone-cds: CDS Hooks service guarding naltrexone starts."""


@main.command("evaluate")
@click.argument("request_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--now", "now", type=IsoDate(), default=None, help="ISO date standing in for today (replay).")
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
        app = create_app(settings)
        access = logging.getLogger("naltrexone_cds.access")
        level = access.level
        access.setLevel(logging.WARNING)  # the response is the output; no access line beside it
        try:
            response = app.test_client().post(f"/cds-services/{service_id}", json=body)
        finally:
            access.setLevel(level)
    sys.stdout.write(orjson.dumps(response.get_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    if response.status_code != 200:
        raise SystemExit(1)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--dev", is_flag=True, help="Development: AUTH=none, one worker, loud warning.")
def serve_command(host: str, port: int, dev: bool) -> None:
    """Run the service: nginx in front of granian workers."""
    from plugin.ops.server import run

    run(host=host, port=port, dev=dev)


# Commands contributed by other modules are registered here.
from plugin.storage.cli import db_group  # noqa: E402

main.add_command(db_group)

from plugin.ops.seed import seed_fhir  # noqa: E402 - registered below the group on purpose

main.add_command(seed_fhir)

from plugin.ops.report import feedback_report_command  # noqa: E402

main.add_command(feedback_report_command)
