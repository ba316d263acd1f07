"""Command group: clinic (see cli/app.py).

``serve``, ``db upgrade|downgrade``, ``demo-seed``, ``audit verify``, ``chair-monitor``.
Web and database libraries are imported inside the commands, so ``ketaclinic --help``
stays fast.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ketaclinic.errors import InputError

if TYPE_CHECKING:
    from ketaclinic.clinic.settings import Settings

__all__ = ["register"]

DbUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: $KETACLINIC_DATABASE_URL "
                 "or sqlite:///ketaclinic.db)."),
]  # fmt: skip


def _url(database_url: str | None) -> str:
    return database_url or os.environ.get("KETACLINIC_DATABASE_URL") or "sqlite:///ketaclinic.db"


def _secret_file_for(url: str) -> Path | None:
    """For a SQLite demo database, the file that keeps its generated secret (mode 0600)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database + ".secret")


def _settings(
    database_url: str | None, *, demo_secret: bool = False, demo_mfa_off: bool = False
) -> Settings:
    from pydantic import ValidationError

    from ketaclinic.clinic.settings import Settings

    url = _url(database_url)
    overrides: dict[str, str] = {"database_url": url}
    if demo_mfa_off:  # the demo's generated logins are for trying the system out
        overrides["mfa_required_roles"] = "none"
    if demo_secret and not os.environ.get("KETACLINIC_SECRET_KEY"):
        path = _secret_file_for(url)
        if path is None:
            raise InputError.for_field(
                "KETACLINIC_SECRET_KEY", None, "set (a generated secret is kept only for SQLite)"
            )
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        overrides["secret_key"] = path.read_text().strip()
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "KETACLINIC_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        if first["type"] == "missing":
            raise InputError(f"{name} must be set", field=name) from None
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"{name}: {msg}", field=name, limit=msg) from None


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from ketaclinic.clinic.db import make_engine

    return make_engine(
        settings.database_url,
        busy_timeout_ms=settings.busy_timeout_ms,
        sqlite_synchronous=settings.sqlite_synchronous,
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    db_app = typer.Typer(help="Database schema (Alembic migrations shipped in the package).",
                         no_args_is_help=True)  # fmt: skip
    audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    staff_app = typer.Typer(help="Staff accounts (the first admin is made here).",
                            no_args_is_help=True)  # fmt: skip
    app.add_typer(staff_app, name="staff")
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")

    @db_app.command("upgrade")
    def db_upgrade(
        database_url: DbUrl = None, revision: Annotated[str, typer.Option()] = "head"
    ) -> None:
        """Create or update the schema."""
        from ketaclinic.clinic import migrate
        from ketaclinic.clinic.db import make_engine

        eng = make_engine(_url(database_url))
        migrate.upgrade(eng, revision)
        print(f"database at revision {migrate.current_revision(eng)}")

    @db_app.command("downgrade")
    def db_downgrade(
        database_url: DbUrl = None, revision: Annotated[str, typer.Option()] = "base"
    ) -> None:
        """Step the schema back (``base`` drops every table: data is lost)."""
        from ketaclinic.clinic import migrate
        from ketaclinic.clinic.db import make_engine

        eng = make_engine(_url(database_url))
        migrate.downgrade(eng, revision)
        print(f"database at revision {migrate.current_revision(eng)}")

    # `ketaclinic demo` is the PK demo (cli/pk.py, `make run`), so seeding is `demo-seed`.
    @app.command("demo-seed")
    def demo_seed(
        database_url: DbUrl = None,
        credentials_file: Annotated[
            Path | None, typer.Option(help="Also write logins and device tokens here (0600).")
        ] = None,
    ) -> None:
        """Migrate and fill an empty database with the demo clinic; print the logins."""
        info = _seed(_settings(database_url, demo_secret=True), credentials_file)
        _print_demo(info)

    @staff_app.command("create")
    def staff_create(
        username: Annotated[str, typer.Option()],
        role: Annotated[str, typer.Option(help="admin, prescriber, nurse, front_desk or auditor")],
        display_name: Annotated[str, typer.Option()],
        database_url: DbUrl = None,
        password: Annotated[
            str,
            typer.Option(
                prompt=True,
                hide_input=True,
                confirmation_prompt=True,
                envvar="KETACLINIC_NEW_PASSWORD",
            ),
        ] = "",
    ) -> None:
        """Create a staff account (no default accounts exist; start with an admin)."""
        from pydantic import ValidationError
        from sqlalchemy.orm import Session

        from ketaclinic.clinic.security import hasher
        from ketaclinic.clinic.services.auth import bootstrap_staff
        from ketaclinic.clinic.services.errors import ServiceError

        settings = _settings(database_url)
        with Session(_engine(settings), expire_on_commit=False) as db:
            try:
                user = bootstrap_staff(
                    db, username=username, display_name=display_name, role=role,
                    password=password, ph=hasher(settings.argon2_params),
                    audit_key=settings.secret_key.get_secret_value().encode(),
                    node_id=settings.node_id,
                )  # fmt: skip
            except ServiceError as exc:
                raise InputError(exc.message, field=exc.field, value=exc.value) from None
            except ValidationError as exc:
                e = exc.errors()[0]
                raise InputError.for_field(str(e["loc"][0]), e.get("input"), e["msg"]) from None
        print(f"created {user.role} {user.username} ({user.id})")

    @staff_app.command("mfa-enroll")
    def staff_mfa_enroll(
        username: Annotated[str, typer.Argument()],
        database_url: DbUrl = None,
        code: Annotated[
            str,
            typer.Option(
                prompt="Code from the app to confirm (empty: the user confirms at "
                "the next sign-in)",
                help="A current 6-digit code.",
            ),
        ] = "",
    ) -> None:
        """Start TOTP enrolment for USERNAME: prints the otpauth:// URI once (audited)."""
        _mfa_enroll(database_url, username, code)

    @staff_app.command("mfa-reset")
    def staff_mfa_reset(username: Annotated[str, typer.Argument()],
                        database_url: DbUrl = None) -> None:  # fmt: skip
        """Remove USERNAME's MFA (lost device) and end their sessions (audited)."""
        _mfa_reset(database_url, username)

    @audit_app.command("verify")
    def audit_verify(database_url: DbUrl = None) -> None:
        """Recompute the audit chain; exit 1 if any row was edited or deleted."""
        from sqlalchemy.orm import Session

        from ketaclinic.clinic import audit

        settings = _settings(database_url, demo_secret=True)
        with Session(_engine(settings)) as db:
            report = audit.verify(db, key=settings.secret_key.get_secret_value().encode())
        if report.ok:
            print(f"audit log OK: {report.checked} records; head seq {report.head_seq} "
                  f"hash {report.head_hash}")  # fmt: skip
            return
        print(f"audit log FAILED verification ({report.checked} records checked):")
        for problem in report.problems:
            print(f"  {problem}")
        raise typer.Exit(1)

    @app.command("serve")
    def serve(
        database_url: DbUrl = None,
        host: Annotated[str, typer.Option()] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
        demo: Annotated[
            bool,
            typer.Option(
                help="Seed an empty database with the demo clinic and run a "
                "simulated chair monitor on its session in progress."
            ),
        ] = False,
        access_log: Annotated[
            bool, typer.Option(help="Log every request (off by default: it costs throughput).")
        ] = False,
    ) -> None:
        """Run the clinic service (migrates the database first).

        uvicorn picks httptools and uvloop when installed (``uvicorn[standard]``).
        """
        import uvicorn

        from ketaclinic.clinic import migrate
        from ketaclinic.clinic.api import create_app

        settings = _settings(database_url, demo_secret=demo, demo_mfa_off=demo)
        engine = _engine(settings)
        migrate.upgrade(engine)
        if demo:
            print("MFA is OFF in the demo (KETACLINIC_MFA_REQUIRED_ROLES=none); without "
                  "--demo every staff role must sign in with a TOTP code by default")  # fmt: skip
            _start_demo(settings, host, port)
        elif not settings.mfa_roles:
            print("warning: MFA is off for every role (KETACLINIC_MFA_REQUIRED_ROLES=none)")
        app_ = create_app(settings, engine=engine)
        stop = _start_watchdog(app_)
        # The ~220,000 objects made at start-up (FastAPI, SQLAlchemy, the app) live as long
        # as the process: move them out of the cyclic collector's reach. Otherwise every
        # full collection walks them all, a 100-115 ms pause of the whole server measured
        # on the 2-core machine, every few seconds under chair-monitor load (the p99 of
        # ingestion; docs/benchmarks.md "Clinic service"). Full collections of what is
        # made later still took 8-26 ms, 3-5 times in 20 s of chair load: one per 100
        # middle-generation collections instead of 10 (young garbage is still collected
        # at once by the two younger generations).
        gc.collect()
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, 100)
        print(f"ketaclinic clinic service on http://{host}:{port} (API /api/v1, docs /docs)")
        try:
            uvicorn.run(app_, host=host, port=port, log_level="info", access_log=access_log)
        finally:
            stop.set()

    @app.command("chair-monitor")
    def chair_monitor(
        session: Annotated[str, typer.Option("--session", help="Treatment session id.")],
        token: Annotated[
            str, typer.Option(envvar="KETACLINIC_DEVICE_TOKEN", help="Device token (kcd_...).")
        ],
        url: Annotated[str, typer.Option()] = "http://127.0.0.1:8000",
        interval_s: Annotated[float, typer.Option("--interval-s", min=0.05)] = 5.0,
        count: Annotated[int, typer.Option(help="Stop after N readings (0: forever).")] = 0,
    ) -> None:
        """A simulated chair monitor: posts a vital-sign set every few seconds."""
        from ketaclinic.clinic.monitor_sim import run_monitor

        run_monitor(url, session, token, interval_s=interval_s, count=count, echo=print)


def _seed(settings: Settings, credentials_file: Path | None):  # type: ignore[no-untyped-def]
    from ketaclinic.clinic import migrate
    from ketaclinic.clinic.security import hasher
    from ketaclinic.clinic.services.demo import seed_demo
    from ketaclinic.clinic.services.errors import ServiceError
    from ketaclinic.clinic.tables import utcnow

    engine = _engine(settings)
    migrate.upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as db:
        try:
            info = seed_demo(
                db, ph=hasher(settings.argon2_params),
                audit_key=settings.secret_key.get_secret_value().encode(),
                node_id=settings.node_id, now=utcnow(),
            )  # fmt: skip
        except ServiceError as exc:
            raise InputError(exc.message, field="database", value=settings.database_url) from None
    if credentials_file is not None:
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(json.dumps(info.__dict__, indent=2))
        credentials_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return info


def _staff_user(db: Any, username: str) -> Any:
    from sqlalchemy import select

    from ketaclinic.clinic.tables import StaffUser

    user = db.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        raise InputError(f"no staff user {username}", field="username", value=username)
    return user


def _mfa_enroll(database_url: str | None, username: str, code: str) -> None:
    from sqlalchemy.orm import Session

    from ketaclinic.clinic import audit
    from ketaclinic.clinic.services import mfa
    from ketaclinic.clinic.services.errors import ServiceError
    from ketaclinic.clinic.tables import utcnow

    settings = _settings(database_url)
    key = settings.secret_key.get_secret_value().encode()
    system = audit.Actor("system", f"cli:{os.environ.get('USER', '?')}"[:64])

    def log(db: Any, event: str, ref: str, outcome: int = 0) -> None:
        audit.append(db, key=key, node_id=settings.node_id, actor=system, action="U",
                     event_type=event, resource_ref=ref, outcome=outcome)  # fmt: skip

    with Session(_engine(settings), expire_on_commit=False) as db:
        user = _staff_user(db, username)
        try:
            enrolment = mfa.start_enrolment(db, user, by=None, box=mfa.box_for(key),
                                            issuer=settings.node_id, now=utcnow())  # fmt: skip
        except ServiceError as exc:
            raise InputError(exc.message, field="username", value=username) from None
        log(db, "staff.mfa_enrol_start", f"StaffUser/{user.id}")
        db.commit()
        print(f"TOTP enrolment for {username} (shown once; add it to an authenticator app):")
        print(f"  {enrolment.otpauth_uri}")
        print(f"  secret (base32): {enrolment.secret_base32}  (SHA1, 6 digits, 30 s)")
    code = code.strip()
    if not code:
        print(f"not confirmed yet: {username} confirms with a code at the next sign-in")
        return
    with Session(_engine(settings), expire_on_commit=False) as db:
        user = _staff_user(db, username)
        ok = mfa.confirm(db, user, code, box=mfa.box_for(key), now=utcnow())
        if not ok:
            db.rollback()
        log(db, "staff.mfa_confirm", f"StaffUser/{user.id}", 0 if ok else 4)
        db.commit()
    if not ok:
        raise InputError("the code is wrong or expired; the enrolment stays pending",
                         field="code", limit="the app's current 6-digit code")  # fmt: skip
    print(f"MFA confirmed for {username}")


def _mfa_reset(database_url: str | None, username: str) -> None:
    from sqlalchemy.orm import Session

    from ketaclinic.clinic import audit
    from ketaclinic.clinic.services import mfa
    from ketaclinic.clinic.tables import utcnow

    settings = _settings(database_url)
    key = settings.secret_key.get_secret_value().encode()
    with Session(_engine(settings), expire_on_commit=False) as db:
        user = _staff_user(db, username)
        had = mfa.reset(db, user.id, now=utcnow())
        audit.append(
            db, key=key, node_id=settings.node_id,
            actor=audit.Actor("system", f"cli:{os.environ.get('USER', '?')}"[:64]),
            action="D", event_type="staff.mfa_reset",
            resource_ref=f"StaffUser/{user.id};had_mfa={str(had).lower()}",
        )  # fmt: skip
        db.commit()
    print(f"MFA {'removed' if had else 'was not set up'} for {username}; sessions ended")


def _print_demo(info) -> None:  # type: ignore[no-untyped-def]
    print(f"demo clinic: {info.patients} patients; session in progress "
          f"{info.active_session_id} in {info.active_chair}")  # fmt: skip
    print("demo logins (generated now; shown once):")
    for user, password in info.logins.items():
        print(f"  {user:<12} {password}")


def _start_watchdog(app_: Any) -> threading.Event:
    """Check in-progress sessions for silent feeds every 30 s, in a daemon thread."""
    from ketaclinic.clinic.services.watchdog import run_watchdog

    stop = threading.Event()
    settings = app_.state.settings
    threading.Thread(
        target=run_watchdog,
        args=(app_.state.sessionmaker,),
        kwargs={
            "clock": app_.state.clock,
            "stop": stop,
            "node_id": settings.node_id,
            "audit_key": settings.secret_key.get_secret_value().encode(),
        },
        daemon=True,
        name="ketaclinic-watchdog",
    ).start()
    return stop


def _start_demo(settings: Settings, host: str, port: int) -> None:
    import threading

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from ketaclinic.clinic.monitor_sim import run_monitor
    from ketaclinic.clinic.tables import StaffUser

    with Session(_engine(settings)) as db:
        empty = (db.scalar(select(func.count()).select_from(StaffUser)) or 0) == 0
    if not empty:
        print("database already has a clinic: not seeding, no simulated monitor "
              "(use `ketaclinic chair-monitor --session ID --token T`)")  # fmt: skip
        return
    info = _seed(settings, None)
    _print_demo(info)
    token = info.device_tokens[info.active_chair]
    thread = threading.Thread(
        target=run_monitor,
        args=(f"http://{host}:{port}", info.active_session_id, token),
        kwargs={"interval_s": 5.0, "count": 0, "echo": None, "wait_for_server_s": 30.0},
        daemon=True,
    )
    thread.start()
