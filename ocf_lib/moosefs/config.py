"""MooseFS configuration files (`KEY = VALUE` lines, `#` comments): parsing, and the metalogger
configuration the agent writes so that it follows the current master."""

from __future__ import annotations

from ..record import record

DEFAULT_DATA_PATH = "/var/lib/mfs"
DEFAULT_USER = "mfs"
MATOML_PORT = 9419   # metaloggers (and other masters) connect here
MATOCS_PORT = 9420   # chunkservers
MATOCL_PORT = 9421   # clients: mfsmount, mfscli
ANY_ADDRESS = ("*", "0.0.0.0", "::", "")
# CHANGELOG_SAVE_MODE: 0 (the default) a background process writes the changelog, 1 the master
# writes it before answering, 2 the master writes and fsyncs it before answering.
CHANGELOG_MODES = (0, 1, 2)
CHANGELOG_FSYNC = 2


def parse_config(text: str) -> dict[str, str]:
    """KEY -> VALUE; the last assignment of a key wins, as in mfsmaster's own parser."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key or " " in key:
            raise ValueError(f"line {number} is not KEY = VALUE: {raw.strip()!r}")
        values[key] = value.strip()
    return values


def _port(values: dict[str, str], key: str, default: int) -> int:
    text = values.get(key, "")
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{key} = {text!r} is not a TCP port")
    return int(text)


def _changelog_mode(values: dict[str, str]) -> int:
    text = values.get("CHANGELOG_SAVE_MODE", "") or "0"
    if not text.isdigit() or int(text) not in CHANGELOG_MODES:
        raise ValueError(f"CHANGELOG_SAVE_MODE = {text!r} is not 0, 1 or 2")
    return int(text)


@record
class MasterConfig:
    data_path: str
    working_user: str
    client_host: str       # MATOCL_LISTEN_HOST
    client_port: int       # MATOCL_LISTEN_PORT
    metalogger_port: int   # MATOML_LISTEN_PORT
    chunkserver_port: int  # MATOCS_LISTEN_PORT
    changelog_save_mode: int   # CHANGELOG_SAVE_MODE

    @classmethod
    def from_text(cls, text: str) -> MasterConfig:
        values = parse_config(text)
        data_path = values.get("DATA_PATH") or DEFAULT_DATA_PATH
        if not data_path.startswith("/"):
            raise ValueError(f"DATA_PATH = {data_path!r} is not an absolute path")
        return cls(data_path=data_path,
                   working_user=values.get("WORKING_USER") or DEFAULT_USER,
                   client_host=values.get("MATOCL_LISTEN_HOST", "*"),
                   client_port=_port(values, "MATOCL_LISTEN_PORT", MATOCL_PORT),
                   metalogger_port=_port(values, "MATOML_LISTEN_PORT", MATOML_PORT),
                   chunkserver_port=_port(values, "MATOCS_LISTEN_PORT", MATOCS_PORT),
                   changelog_save_mode=_changelog_mode(values))

    def with_data_path(self, data_path: str) -> MasterConfig:
        return MasterConfig(data_path, self.working_user, self.client_host, self.client_port,
                            self.metalogger_port, self.chunkserver_port,
                            self.changelog_save_mode)

    def changelog_risk(self, synchronous_mount: bool) -> str | None:
        """Why a metadata change the master has answered for may not be on disk yet, or None.
        Lab-measured on DRBD with a power cut of the master's node: mode 0 lost fsync'd files
        even on a filesystem mounted sync (the writer process lags the answers)."""
        mode = self.changelog_save_mode
        if mode == CHANGELOG_FSYNC or (mode == 1 and synchronous_mount):
            return None
        if mode == 0:
            return ("CHANGELOG_SAVE_MODE is 0 (the default): a background process writes the "
                    "changelog after clients are answered")
        return ("CHANGELOG_SAVE_MODE is 1 on a filesystem not mounted sync: the changelog "
                "waits in the page cache")

    @property
    def client_address(self) -> str:
        """Where a local client reaches the master: its listen address, loopback for any."""
        return "127.0.0.1" if self.client_host in ANY_ADDRESS else self.client_host


def read_config_text(path: str) -> str:
    """A configuration file's text; ValueError (with the reason) when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as config:
            return config.read()
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror}") from None


def override_config(base_text: str, settings: dict[str, str]) -> str:
    """The admin's configuration with `settings` replacing whatever it says for those keys."""
    parse_config(base_text)  # refuse a broken file rather than half-copy it
    kept = [line for line in base_text.splitlines()
            if line.split("#", 1)[0].partition("=")[0].strip() not in settings]
    return "\n".join([*kept, "# set by ocf:pyha:moosefs-master",
                      *(f"{key} = {value}" for key, value in settings.items()), ""])


def metalogger_config(base_text: str, data_path: str, master_host: str, master_port: int) -> str:
    """The admin's metalogger configuration, writing where `mfsmaster -a` looks for its files
    (the master's data path) and following `master_host`."""
    return override_config(base_text, {"DATA_PATH": data_path, "MASTER_HOST": master_host,
                                       "MASTER_PORT": str(master_port)})


HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")


def check_host(text: str) -> str:
    """Parameter check: a host name or IP address as MooseFS's MASTER_HOST takes it."""
    host = text.strip()
    if not 0 < len(host) <= 253 or not set(host) <= HOST_CHARACTERS or host.startswith("-"):
        raise ValueError("not a host name or IP address")
    return host
