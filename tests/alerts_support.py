"""Shared by the alert tests: a real SMTP server (aiosmtpd on 127.0.0.1) that records what it
accepts and answers as told, a throw-away CA for TLS, and a news desk that stores articles the
way crawls do (with crawl runs, so first crawls are recognised as backfill)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import Engine

from kn_crawl.db.runs import finish_run, start_run
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem
from kn_crawl.settings import Settings

UTC = dt.UTC


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        assert body is not None
        return str(body.get_content())


@dataclass
class Recorder:
    """The aiosmtpd handler: records accepted messages; ``answers`` maps a recipient to the
    reply its RCPT gets instead of 250 (e.g. ``"451 4.7.1 try later"``)."""

    delivered: list[Delivered] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    on_data: Callable[[Envelope], None] | None = None
    password: str | None = None
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.lock:
            self.delivered.append(
                Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), content)
            )
        if self.on_data is not None:
            self.on_data(envelope)
        return "250 2.0.0 accepted"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == self.password
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def to(self, recipient: str) -> list[Delivered]:
        with self.lock:
            return [d for d in self.delivered if recipient in d.rcpt_tos]


class SmtpServer:
    """aiosmtpd on a fixed loopback port, so it can go down and come back on the same port."""

    def __init__(self, recorder: Recorder | None = None, **smtp_options: Any) -> None:
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.options = smtp_options
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        options = dict(self.options)
        ssl_context = options.pop("ssl_context", None)
        if self.recorder.password is not None:
            options.setdefault("authenticator", self.recorder.authenticate)
        self.controller = Controller(
            self.recorder,
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=ssl_context,
            server_hostname="localhost",
            ready_timeout=10,
            **options,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def env(self, tls: str = "plain") -> dict[str, str]:
        return {"KN_SMTP_HOST": "127.0.0.1", "KN_SMTP_PORT": str(self.port), "KN_SMTP_TLS": tls}

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


# --- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_ca(folder: Path, name: str = "kn test CA") -> TestCA:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca = TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    ca.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca


# --- the news desk --------------------------------------------------------------------------

HOSTS = {"kommune21": "www.kommune21.de", "move": "www.move-online.de"}
_slugs = itertools.count(1)


def item(
    source: str,
    title: str,
    tags: Sequence[str] = (),
    *,
    published: dt.datetime | None = None,
    kicker: str | None = None,
    teaser: str | None = None,
    url: str | None = None,
) -> ArticleItem:
    url = url or f"https://{HOSTS[source]}/k21-meldungen/a-{next(_slugs)}/"
    return ArticleItem(
        source=source,
        url=url,
        fetched_url=url,
        title=title,
        kicker=kicker,
        teaser=teaser if teaser is not None else f"Teaser zu {title}.",
        body="Absatz.",
        published_at=published or dt.datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        date_signal="visible",
        tags=list(tags),
    )


class Desk:
    """Stores articles like a crawl does: each ``crawl`` is one run per source, finished
    ``ok`` unless told otherwise. A source's first ``ok`` run is its backfill."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = ArticleStore(engine)

    def source_id(self, name: str) -> int:
        with self.engine.begin() as conn:
            return ensure_source(
                conn, name=name, family="k21", title=name.capitalize(), base_url=f"https://{name}/"
            )

    def crawl(
        self, source: str, items: Sequence[ArticleItem], *, now: dt.datetime, status: str = "ok"
    ) -> int:
        sid = self.source_id(source)
        with self.engine.begin() as conn:
            run_id = start_run(conn, source_id=sid, base_url="https://x/", now=now, pid=None)
        if items:
            self.store.save(sid, source, list(items), now=now, run_id=run_id)
        with self.engine.begin() as conn:
            finish_run(
                conn, run_id, status=status, finish_reason="finished", counts={}, stats={},
                now=now,
            )  # fmt: skip
        return run_id


def settings_for(db_url: str, data_dir: Path, **env: str) -> Settings:
    return Settings.from_env({"KN_DATABASE_URL": db_url, "KN_DATA_DIR": str(data_dir), **env})


# --- webhook-style channels -----------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP server on 127.0.0.1 standing in for a chat service or webhook: records each
    request and answers ``status`` (200 accepts; 4xx/5xx refuse), or hangs while ``hang`` is
    set (until the test ends), so a sender's timeout is what ends the request."""

    def __init__(self) -> None:
        import http.server

        self.received: list[Received] = []
        self.status = 200
        self.hang = False
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.received.append(Received(self.path, dict(self.headers.items()), body))
                if outer.hang:
                    outer.release.wait(30)
                    return
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "1"}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
