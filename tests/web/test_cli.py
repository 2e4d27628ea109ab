"""The `stakehouse` command as an operator meets it: configuration errors, the dev lock,
and seeding a real database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from domain.accounts import passwords
from domain.accounts.models import Player, StaffUser
from domain.kernel.db import Database
from web.cli import app
from web.devserver import AlreadyRunning, take_dev_lock
from web.seed import ADMIN_EMAIL, DEMO_PASSWORD, DEMO_USERNAME

COMMANDS = ("dev", "serve", "worker", "scheduler", "relay", "migrate", "seed", "export-schema")
STAKEHOUSE = Path(sys.executable).with_name("stakehouse")
SUBPROCESS_TIMEOUT_SECONDS = 120


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, as a shell would run it."""
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_setting_exits_2_naming_the_variable(command: str) -> None:
    result = CliRunner().invoke(app, [command], env={"STAKEHOUSE_HTTP_PORT": "abc"})

    assert result.exit_code == 2
    assert result.stderr.startswith("invalid configuration:\n  STAKEHOUSE_HTTP_PORT: ")
    assert result.stdout == ""


def test_every_bad_setting_is_named_by_the_installed_command() -> None:
    assert STAKEHOUSE.exists(), "the `stakehouse` entry point is not installed in this venv"

    result = subprocess.run(
        [str(STAKEHOUSE), "serve"],
        env={**os.environ, "STAKEHOUSE_HTTP_PORT": "abc", "STAKEHOUSE_LOG_LEVEL": "LOUD"},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.startswith("invalid configuration:\n")
    assert "  STAKEHOUSE_HTTP_PORT: " in result.stderr
    assert "  STAKEHOUSE_LOG_LEVEL: " in result.stderr


@pytest.mark.parametrize(
    ("command", "variable"),
    [
        ("migrate", "STAKEHOUSE_DATABASE_URL"),
        ("seed", "STAKEHOUSE_DATABASE_URL"),
        ("scheduler", "STAKEHOUSE_DATABASE_URL"),
        ("scheduler", "STAKEHOUSE_BROKER_URL"),
        ("serve", "STAKEHOUSE_DATABASE_URL"),
        ("serve", "STAKEHOUSE_BROKER_URL"),
        ("worker", "STAKEHOUSE_DATABASE_URL"),
        ("worker", "STAKEHOUSE_BROKER_URL"),
        ("relay", "STAKEHOUSE_DATABASE_URL"),
        ("relay", "STAKEHOUSE_BROKER_URL"),
    ],
)
def test_commands_without_their_server_url_say_which_is_missing(
    command: str, variable: str
) -> None:
    # An empty value means "unset" (embedded servers are only for `dev`).
    result = CliRunner().invoke(app, [command], env={variable: ""})

    assert result.exit_code == 2
    assert f"stakehouse {command} needs {variable}" in result.stderr


def test_the_dev_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    lock_file = take_dev_lock(tmp_path)
    try:
        with pytest.raises(AlreadyRunning) as refused:
            take_dev_lock(tmp_path)
        assert refused.value.holder == str(os.getpid())
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        lock_file.close()

    take_dev_lock(tmp_path).close()


def test_dev_refuses_a_second_start_and_leaves_the_data_folder_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with (data_dir / "dev.lock").open("w", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()

        result = run_cli("dev", STAKEHOUSE_DATA_DIR=str(data_dir))

    assert result.returncode == 1
    assert f"stakehouse dev is already running (pid 4242) using {data_dir}" in result.stderr
    assert sorted(path.name for path in data_dir.iterdir()) == ["dev.lock"]
    assert (data_dir / "dev.lock").read_text(encoding="utf-8") == "4242\n"


@pytest.mark.parametrize(
    ("command", "how"), [("dev", "option"), ("dev", "environment"), ("serve", "option")]
)
def test_a_taken_port_stops_the_command_before_it_starts_anything(
    tmp_path: Path, command: str, how: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args, env = ((command, "--port", port), {}) if how == "option" else (
            (command,), {"STAKEHOUSE_HTTP_PORT": port}
        )  # fmt: skip
        result = run_cli(*args, STAKEHOUSE_DATA_DIR=str(tmp_path), **env)

    assert result.returncode == 3, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: it is in use" in result.stderr
    assert f"--port {int(port) + 1}" in result.stderr
    assert f"STAKEHOUSE_HTTP_PORT={int(port) + 1}" in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was started: the data folder holds at most dev's (released) lock.
    assert [path.name for path in tmp_path.iterdir()] in ([], ["dev.lock"])
    assert result.stdout == ""


async def test_seed_is_idempotent_and_shows_the_admin_password_once(db: Database) -> None:
    first = await asyncio.to_thread(run_cli, "seed")
    second = await asyncio.to_thread(run_cli, "seed", "--demo")
    third = await asyncio.to_thread(run_cli, "seed", "--demo")

    assert (first.returncode, second.returncode, third.returncode) == (0, 0, 0), first.stderr
    shown = re.search(r"One-time password .*: (\S+)$", first.stdout, re.MULTILINE)
    assert shown is not None, first.stdout
    one_time_password = shown.group(1)
    assert "Demo player" not in first.stdout
    assert f"Admin {ADMIN_EMAIL} already exists." in second.stdout
    assert one_time_password not in second.stdout + third.stdout
    assert "Demo player on aurora created" in second.stdout
    assert "Demo player on northstar created" in second.stdout
    assert "Demo player on aurora already exists" in third.stdout
    assert "created" not in third.stdout
    async with db.uow() as uow:
        admins = (await uow.session.scalars(select(StaffUser))).all()
        demo_players = (
            await uow.session.execute(
                select(Player.brand, func.count())
                .where(Player.username == DEMO_USERNAME)
                .group_by(Player.brand)
                .order_by(Player.brand)
            )
        ).all()
        aurora_demo = await uow.session.scalar(
            select(Player).where(Player.brand == "aurora", Player.username == DEMO_USERNAME)
        )
    assert [(admin.email, admin.roles) for admin in admins] == [(ADMIN_EMAIL, ["admin"])]
    assert await passwords.verify_password(admins[0].password_hash, one_time_password)
    assert admins[0].password_change_required
    assert [tuple(row) for row in demo_players] == [("aurora", 1), ("kumo", 1), ("northstar", 1)]
    assert aurora_demo is not None
    assert aurora_demo.email == "demo@aurora.example"
    assert await passwords.verify_password(aurora_demo.password_hash, DEMO_PASSWORD)


def test_seed_refuses_demo_history_in_production() -> None:
    production = {
        "STAKEHOUSE_ENV": "production",
        "STAKEHOUSE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "STAKEHOUSE_SECRET_KEY": "a-production-secret-key-0123456789",
        "STAKEHOUSE_PSP_WEBHOOK_SECRET": "a-production-psp-secret-0123456789",
        "STAKEHOUSE_MAIL_WEBHOOK_SECRET": "a-production-mail-secret-0123456789",
        "STAKEHOUSE_UNSUBSCRIBE_SECRET": "a-production-unsubscribe-secret-0123",
    }
    result = CliRunner().invoke(app, ["seed", "--demo", "--history-weeks", "1"], env=production)

    assert result.exit_code == 2, result.output
    assert "refused in production" in result.stderr
    assert "Brands:" not in result.stdout  # nothing seeded: the database is not even reached
