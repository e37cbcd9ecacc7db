"""A Prosody server of the tests' own, on 127.0.0.1 only, in a temporary directory.

Everything Prosody writes (its configuration, pid file, data, log and certificates) lives
under one directory.  It is started as ``prosody -F --config DIR/prosody.cfg.lua``, in the
foreground and without ``prosodyctl start``, so that the process found by its PID is the
server itself, which ``SIGTERM`` stops.  Three virtual hosts share the client port: two
take SASL in the clear, which loopback makes harmless, one with PLAIN only and one with
SCRAM-SHA-1 only, and one offers STARTTLS with a certificate made here, so that TLS is
negotiated for real.  A component with a shared secret gets the component port, and a
multi-user chat service and a publish-subscribe service run inside the server, beside
every account's personal eventing service (PEP).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
MODULES = Path("/usr/lib/prosody/modules")

#: The virtual host that takes only SASL PLAIN, without TLS (its users log in in the
#: clear); its admin administers the server (XEP-0133).
PLAIN_HOST = "plain.xepcodec.test"
#: The virtual host that takes only SCRAM-SHA-1, without TLS.
SCRAM_HOST = "scram.xepcodec.test"
#: The virtual host that offers STARTTLS with the certificate made for it, and every
#: mechanism (a client prefers SCRAM-SHA-256).
TLS_HOST = "tls.xepcodec.test"
#: The external component (XEP-0114) and its shared secret.
COMPONENT_HOST = "echo.xepcodec.test"
COMPONENT_SECRET = "s3cret-handshake"
#: Prosody's own multi-user chat service (XEP-0045, with XEP-0410's self-ping answered
#: by the room itself): anyone with an account may create a room on it.
MUC_HOST = "rooms.xepcodec.test"
#: Prosody's own publish-subscribe service (XEP-0060).  Creating a node takes the
#: service's admin standing there, which Juliet, and only she, is given.
PUBSUB_HOST = "pubsub.xepcodec.test"

#: (user, host, password): the accounts registered before the server starts.
ADMIN = ("admin", PLAIN_HOST, "admin-password")
JULIET = ("juliet", PLAIN_HOST, "juliet-password")
NURSE = ("nurse", SCRAM_HOST, "nurse-password")
ROMEO = ("romeo", TLS_HOST, "romeo-password")
ACCOUNTS = (ADMIN, JULIET, NURSE, ROMEO)
#: Who may create nodes on the publish-subscribe service (and owns every node there).
PUBSUB_CREATORS = [f"{JULIET[0]}@{JULIET[1]}"]

#: The SASL mechanisms each host refuses to offer, so that a client, which prefers
#: SCRAM-SHA-256 to SCRAM-SHA-1 to PLAIN, logs in with the one the host is there to test.
DISABLED_MECHANISMS = {
    PLAIN_HOST: ["SCRAM-SHA-256", "SCRAM-SHA-1", "DIGEST-MD5"],
    SCRAM_HOST: ["SCRAM-SHA-256", "DIGEST-MD5"],
    TLS_HOST: ["DIGEST-MD5"],
}

#: Modules for every host, each loaded only when this Prosody ships it (XEP-0198's
#: mod_smacks entered Prosody's own modules in 0.12).  mod_offline keeps a message to
#: an account that is offline (delivered with an XEP-0203 delay), mod_mam archives
#: messages and marks them with an XEP-0359 stanza id, mod_pep gives every account a
#: personal eventing service on its bare JID (XEP-0163).
WANTED_MODULES = ("saslauth", "disco", "roster", "ping", "version", "time", "uptime",
                  "lastactivity", "admin_adhoc", "smacks", "offline", "mam", "posix", "pep")

#: How long the server may take to accept on both ports, and to stop after SIGTERM.
#: Generous: the machines that run the tests are shared.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


class ProsodyFailed(RuntimeError):
    """The server did not start or stop; the message ends with its log's tail."""


class PortTaken(Exception):
    """Another process took a port between its choice and Prosody's start."""


def prosody_installed() -> bool:
    """Whether ``prosody`` and ``prosodyctl`` are on the PATH."""
    return shutil.which("prosody") is not None and shutil.which("prosodyctl") is not None


def available_modules(wanted: Iterable[str] = WANTED_MODULES) -> list[str]:
    """The wanted modules this installation ships (all of them when its modules are
    not where Debian puts them, and cannot be looked at)."""
    if not MODULES.is_dir():
        return list(wanted)
    return [name for name in wanted
            if (MODULES / f"mod_{name}.lua").is_file() or (MODULES / f"mod_{name}").is_dir()]


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def write_certificate(host: str, crt: Path, key: Path) -> None:
    """A self-signed certificate for ``host`` (a P-256 key, valid for a day), its own
    trust anchor: the client trusts exactly this certificate."""
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    crt.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key.chmod(0o600)


def lua(value: object) -> str:
    """A Lua literal for a string, a number, a boolean, a list or a table of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # ASCII with \" and \\ escapes: Lua reads it the same
    if isinstance(value, Mapping):
        return "{ " + "; ".join(f"{key} = {lua(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "{ " + "; ".join(lua(item) for item in value) + " }"
    raise TypeError(f"no Lua literal for {value!r}")


@dataclass
class Prosody:
    """One server's directory, ports and process."""

    directory: Path
    c2s_port: int = field(default_factory=free_port)
    component_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    modules: list[str] = field(default_factory=available_modules)

    @property
    def config(self) -> Path:
        return self.directory / "prosody.cfg.lua"

    @property
    def log(self) -> Path:
        return self.directory / "prosody.log"

    @property
    def certificate(self) -> Path:
        """The TLS host's certificate, which the client trusts."""
        return self.directory / "certs" / f"{TLS_HOST}.crt"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ProsodyFailed("the server is not running")
        return self.process.pid

    def has_module(self, name: str) -> bool:
        return name in self.modules

    def write_config(self) -> None:
        """The configuration file, the certificate and the data directory."""
        certs = self.directory / "certs"
        data = self.directory / "data"
        certs.mkdir(exist_ok=True)
        data.mkdir(exist_ok=True)
        write_certificate(TLS_HOST, self.certificate, certs / f"{TLS_HOST}.key")
        everywhere = [LOOPBACK]
        settings: dict[str, object] = {
            "daemonize": False,
            # As root Prosody otherwise logs "Refusing to run as root" and waits forever.
            "run_as_root": os.geteuid() == 0,
            "pidfile": str(self.directory / "prosody.pid"),
            "data_path": str(data),
            "certificates": str(certs),
            "interfaces": everywhere,
            "c2s_interfaces": everywhere,
            "component_interfaces": everywhere,
            "c2s_ports": [self.c2s_port],
            "component_ports": [self.component_port],
            "s2s_ports": [],
            "http_ports": [],
            "https_ports": [],
            "c2s_direct_tls_ports": [],
            "s2s_direct_tls_ports": [],
            "legacy_ssl_ports": [],
            "admins": [f"{ADMIN[0]}@{ADMIN[1]}"],
            "authentication": "internal_plain",
            "storage": "internal",
            "modules_enabled": [*self.modules, "tls"],
            "c2s_require_encryption": False,
            "allow_unencrypted_plain_auth": True,
        }
        lines = [f"{key} = {lua(value)}" for key, value in settings.items()]
        # Debug level: a failing test shows every stanza the server saw and sent.
        sink = {"levels": {"min": "debug"}, "to": "file", "filename": str(self.log)}
        lines += [f"log = {lua([sink])}", ""]
        for host in (PLAIN_HOST, SCRAM_HOST):
            # No TLS here: the clients of these hosts log in in the clear.
            lines += [f"VirtualHost {lua(host)}",
                      f"  modules_disabled = {lua(['tls'])}",
                      f"  disable_sasl_mechanisms = {lua(DISABLED_MECHANISMS[host])}",
                      ""]
        lines += [
            f"VirtualHost {lua(TLS_HOST)}",
            "  ssl = { " + f"certificate = {lua(str(self.certificate))}; "
            f"key = {lua(str(certs / f'{TLS_HOST}.key'))}" + " }",
            f"  disable_sasl_mechanisms = {lua(DISABLED_MECHANISMS[TLS_HOST])}",
            "",
            f"Component {lua(COMPONENT_HOST)}",
            f"  component_secret = {lua(COMPONENT_SECRET)}",
            "",
            f"Component {lua(MUC_HOST)} {lua('muc')}",
            "",
            f"Component {lua(PUBSUB_HOST)} {lua('pubsub')}",
            # mod_pubsub lets only the service's admins create nodes.
            f"  admins = {lua(PUBSUB_CREATORS)}",
            "",
        ]
        self.config.write_text("\n".join(lines))

    def register(self, accounts: Iterable[tuple[str, str, str]] = ACCOUNTS) -> None:
        """Create the accounts, before the server starts."""
        for user, host, password in accounts:
            done = subprocess.run(
                ["prosodyctl", "--config", str(self.config), "register", user, host, password],
                capture_output=True, timeout=60, check=False)
            if done.returncode != 0:
                raise ProsodyFailed(f"prosodyctl register {user} {host} failed "
                                    f"({done.returncode}): {done.stdout!r} {done.stderr!r}")

    def start(self, attempts: int = 3) -> None:
        """Start the server and wait until both ports accept connections.

        The free ports are only free when they were chosen: should another process
        take one before Prosody binds it, the server starts again on new ones.
        """
        for attempt in range(attempts):
            self.write_config()
            if attempt == 0:
                self.register()
            try:
                self._run()
                return
            except PortTaken:
                self.stop()
                self.log.unlink(missing_ok=True)
                self.c2s_port, self.component_port = free_port(), free_port()
        raise ProsodyFailed(f"prosody found its ports taken {attempts} times" + self.tail())

    def _run(self) -> None:
        with (self.directory / "stdout.txt").open("wb") as output:
            self.process = subprocess.Popen(
                ["prosody", "-F", "--config", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd=self.directory)
        deadline = time.monotonic() + START_TIMEOUT
        waiting = {self.c2s_port, self.component_port}
        while True:
            if self.log.is_file() and "Failed to open server port" in self.log.read_text(
                    errors="replace"):
                raise PortTaken()
            if not waiting:
                return  # (checked after the ports accept: the taker may be listening)
            if self.process.poll() is not None:
                raise ProsodyFailed(f"prosody exited with {self.process.returncode}"
                                    + self.tail())
            if time.monotonic() > deadline:
                self.stop()
                raise ProsodyFailed(f"prosody did not accept on ports {sorted(waiting)} "
                                    f"within {START_TIMEOUT} s" + self.tail())
            for port in sorted(waiting):
                try:
                    socket.create_connection((LOOPBACK, port), timeout=1).close()
                except OSError:
                    continue
                waiting.discard(port)
            if waiting:
                time.sleep(0.05)  # polling: the ports open within about a second

    def stop(self) -> None:
        """``SIGTERM`` the server and wait for it (``SIGKILL`` if it lingers)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise ProsodyFailed(f"prosody did not stop within {STOP_TIMEOUT} s of SIGTERM"
                                + self.tail()) from None

    def tail(self, lines: int = 40) -> str:
        """The last lines of the log and of what the process printed, for a failure."""
        parts = []
        for path in (self.log, self.directory / "stdout.txt"):
            if path.is_file():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"\n--- {path.name} (last {len(text)} lines) ---\n"
                             + "\n".join(text))
        return "".join(parts)
