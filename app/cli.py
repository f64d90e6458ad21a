"""The ``summit`` command: the Flask CLI of the app, with Summit's commands."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from app import create_app

    return create_app()


cli = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Summit: run the people around a global online course.",
)


def main() -> None:
    cli(prog_name="summit")


if __name__ == "__main__":
    main()
