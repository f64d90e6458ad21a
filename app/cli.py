"""The ``summit`` command: the Flask CLI of the app, with Summit's commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, ScriptInfo

from app.factory import create_app
from app.tasks import drain_inline_jobs
from jobs.cli import scheduler_command, worker_command


def _create_app():  # type: ignore[no-untyped-def]
    return create_app()


cli = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Summit: run the people around a global online course.",
)


@cli.result_callback()
def _finish_inline_jobs(*_: object, **__: object) -> None:
    """With inline jobs, a command that queued work finishes it before it exits, and
    exits non-zero when any of it failed (nothing is left to a dying interpreter)."""
    ctx = click.get_current_context()
    app = ctx.ensure_object(ScriptInfo).load_app()
    if "summit.inline_pool" not in app.extensions:
        return
    failed = drain_inline_jobs(app)
    if failed:
        click.echo(f"{failed} job(s) failed; see the log above.", err=True)
        ctx.exit(1)


# the processes that run jobs: added here, above the jobs, not by the factory
cli.add_command(worker_command)
cli.add_command(scheduler_command)


def main() -> None:
    cli(prog_name="summit")


if __name__ == "__main__":
    main()
