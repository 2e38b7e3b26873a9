"""VtnConfig: TOML and overrides, errors that name the field, TLS never optional by accident."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.errors import ConfigError
from vtn.config import (
    FLAT_KEYS,
    AdminSettings,
    SigningSettings,
    TlsSettings,
    VtnConfig,
    is_loopback,
    load_config,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vtn.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_and_overrides(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
vtn_id = "UTILITY-VTN"
port = 9443
market_contexts = ["http://utility.test/cpp"]

[tls]
cert = "certs/vtn.pem"
key = "certs/vtn.key"
ca = "/etc/oadr/ca.pem"

[polls]
frequency = 30

[signing]
require_signatures = true
""",
    )
    config = load_config(path, {"port": 10443, "push.backoff": 1.5})
    assert config.vtn_id == "UTILITY-VTN" and config.port == 10443
    assert config.tls.cert == tmp_path / "certs/vtn.pem"  # relative to the file
    assert config.tls.ca == Path("/etc/oadr/ca.pem")
    assert config.polls.frequency == timedelta(seconds=30)
    assert config.push.backoff == timedelta(seconds=1.5)
    assert config.signing.require_signatures is True
    assert config.market_contexts == ("http://utility.test/cpp",)
    # the VTN's own files default to var/ next to the configuration file
    assert config.state_dir == tmp_path / "var"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'vtn.sqlite'}"
    assert config.admin.token_file == tmp_path / "var" / "admin-token"
    assert (config.admin.host, config.admin.port) == ("127.0.0.1", 8081)
    # by default the VTN asks for usage, status, the baseline report and the expected delivery
    assert config.reports.request == ("TELEMETRY_USAGE", "TELEMETRY_STATUS",
                                      "x-TELEMETRY_BASELINE", "x-EXPECTED_DELIVERY")


def test_reports_request_names_the_baseline_report(tmp_path: Path) -> None:
    path = _write(tmp_path, """
plain_http = true

[reports]
request = ["TELEMETRY_USAGE", "x-TELEMETRY_BASELINE"]
""")
    assert load_config(path).reports.request == ("TELEMETRY_USAGE", "x-TELEMETRY_BASELINE")
    with pytest.raises(ConfigError, match="x-TELEMETRY_BASELINE"):
        load_config(path, {"reports.request": ["TELEMETRY_BASELINE"]})


def test_the_flat_keys_of_earlier_versions_are_read_as_the_nested_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(
        tmp_path,
        """
vtn_id = "UTILITY-VTN"
tls_cert = "certs/vtn.pem"
tls_key = "certs/vtn.key"
tls_ca = "/etc/oadr/ca.pem"
poll_frequency = 30
poll_cache = false
admin_port = 9081
push_interval = 5

[vtn]
require_signatures = true
""",
    )
    with caplog.at_level(logging.WARNING, logger="oadr.vtn.config"):
        config = load_config(path, {"push_backoff": 1.5})
    assert config.tls.cert == tmp_path / "certs/vtn.pem"
    assert config.polls.frequency == timedelta(seconds=30) and config.polls.cache is False
    assert config.admin.port == 9081 and config.push.interval == timedelta(seconds=5)
    assert config.push.backoff == timedelta(seconds=1.5)
    assert config.signing.require_signatures is True
    assert "tls_cert is the old name of tls.cert" in caplog.text
    assert "admin_port is the old name of admin.port" in caplog.text
    assert all(new.count(".") == 1 for new in FLAT_KEYS.values())
    with pytest.raises(ConfigError, match=r"admin_port: is set twice.*keep admin\.port"):
        load_config(_write(tmp_path, "plain_http = true\nadmin_port = 1\n[admin]\nport = 2\n"))


def test_every_mistake_is_named_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
port = "8443"
plain_http = true

[tls]
cert = 3

[admin]
prot = 9081
""",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    text = str(error.value)
    assert text.startswith(f"{path}: 3 problems:")
    assert 'port: must be an integer, got "8443"' in text
    assert "tls.cert: must be a file path, got 3" in text
    assert 'admin.prot: is not a known setting; did you mean "port"?' in text
    assert "(known: allow_remote, host, metrics_public, port, token_file)" in text


def test_tls_is_required_unless_plain_http_is_explicit() -> None:
    with pytest.raises(ConfigError, match=r"tls\.cert"):
        load_config(None, {})
    with pytest.raises(ConfigError, match=r"^tls\.ca: is required"):
        VtnConfig(tls=TlsSettings(cert=Path("c"), key=Path("k")))
    assert load_config(None, {"plain_http": True}).plain_http
    with pytest.raises(ConfigError, match="plain_http: must be true or false"):
        load_config(None, {"plain_http": "yes"})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"port": 70000}, "port"),
        ({"port": "80"}, "port"),
        ({"polls.frequency": 0}, "polls.frequency"),
        ({"polls.frequency": "10s"}, "polls.frequency"),
        ({"vtn_id": "lower-case-vtn"}, "vtn_id"),
        ({"vtn_id": " "}, "vtn_id"),
        ({"database_url": "mysql://x"}, "database_url"),
        ({"max_body_bytes": 10}, "max_body_bytes"),
        ({"reports.request": ["HISTORY_USAGE"]}, "reports.request"),
        ({"market_contexts": "http://one"}, "market_contexts"),
        ({"signing.sign_messages": True}, "signing.cert"),
        ({"push.backoff_max": 0.5}, "push.backoff_max"),
        ({"limits.header_timeout": 0}, "limits.header_timeout"),
        ({"limits.body_timeout": -1}, "limits.body_timeout"),
        ({"limits.max_connections_per_client": -1}, "limits.max_connections_per_client"),
        ({"no_such_setting": 1}, "no_such_setting"),
        ({"push.no_such_setting": 1}, "push.no_such_setting"),
        ({"admin.port": -1}, "admin.port"),
        ({"admin.port": 8443}, "admin.port"),  # the 2.0b port
        ({"admin.host": "0.0.0.0"}, "admin.host"),
        ({"admin.host": "10.0.0.7"}, "admin.host"),
        ({"admin.host": "vtn.example.com"}, "admin.host"),
        ({"admin.allow_remote": "yes"}, "admin.allow_remote"),
        ({"admin_port": -1}, "admin.port"),  # a flat key of earlier versions
        ({"state_dir": None}, "state_dir"),
        ({"tls": 3}, "tls"),
    ],
)
def test_errors_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"(^|\n  - ){re.escape(field)}: "):
        load_config(None, {"plain_http": True, **overrides})


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "port = = 1"))


def test_secrets_stay_out_of_repr() -> None:
    config = load_config(
        None,
        {
            "plain_http": True,
            "database_url": "postgresql+asyncpg://vtn:s3cret@db.test/vtn",
            "tls.key_passphrase": "hunter2",
        },
    )
    text = repr(config)
    assert config.tls.key_passphrase == "hunter2"
    assert "s3cret" not in text and "hunter2" not in text and "hunter2" not in repr(config.tls)
    assert "postgresql+asyncpg://vtn:***@db.test/vtn" in text


QUERY_SECRET_URLS = [
    ("postgresql+asyncpg://vtn@db.test/vtn?password=s3cret",
     "postgresql+asyncpg://vtn@db.test/vtn?password=***"),
    ("postgresql+asyncpg://vtn@db.test/vtn?ssl=require&sslpassword=s3cret&application_name=vtn",
     "postgresql+asyncpg://vtn@db.test/vtn?ssl=require&sslpassword=***&application_name=vtn"),
    ("postgresql+asyncpg://vtn:s3cret@db.test:5432/vtn?PASSWORD=s3cret&pass%77ord=s3cret",
     "postgresql+asyncpg://vtn:***@db.test:5432/vtn?PASSWORD=***&pass%77ord=***"),
    ("postgresql+asyncpg://vtn:s3?cret@db.test/vtn?password=s3@cret",  # ? and @ where they trip
     "postgresql+asyncpg://vtn:***@db.test/vtn?password=***"),
    ("postgresql+asyncpg://vtn@db.test/vtn?password=s3cret\ns3cret",
     "postgresql+asyncpg://vtn@db.test/vtn?password=*** [rest hidden]"),
]
SECRET_URL_IDS = ["password", "sslpassword", "case-and-encoding", "question-and-at", "line-break"]


@pytest.mark.parametrize(("url", "shown"), QUERY_SECRET_URLS, ids=SECRET_URL_IDS)
def test_password_query_parameters_stay_out_of_repr(url: str, shown: str) -> None:
    config = load_config(None, {"plain_http": True, "database_url": url})
    text = repr(config)
    assert "s3" not in text and "cret" not in text
    assert f"database_url={shown!r}" in text


@pytest.mark.parametrize(("url", "shown"), QUERY_SECRET_URLS[:3], ids=SECRET_URL_IDS[:3])
async def test_password_query_parameters_stay_out_of_the_database_repr(url: str, shown: str):
    from common.clock import ManualClock
    from vtn.storage.database import Database, create_engine_for

    engine = create_engine_for(url)  # no connection is made
    try:
        text = repr(Database(engine, clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC))))
    finally:
        await engine.dispose()
    assert "s3cret" not in text and "***" in text
    assert text.startswith("Database('postgresql+asyncpg://vtn")


def test_urls_without_secrets_are_shown_unchanged() -> None:
    for url in ("sqlite+aiosqlite:////var/lib/oadr/vtn.sqlite",
                "postgresql+asyncpg://vtn@db.test/vtn?ssl=require&passfile=/etc/pgpass"):
        assert f"database_url={url!r}" in repr(
            load_config(None, {"plain_http": True, "database_url": url}))


def test_state_dir_without_a_file_is_the_working_directory_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {"plain_http": True})
    assert config.state_dir == tmp_path / "var"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'vtn.sqlite'}"
    assert config.admin.token_file == tmp_path / "var" / "admin-token"
    monkeypatch.chdir("/")  # the configuration keeps absolute paths: a later chdir is harmless
    assert config.admin.token_file == tmp_path / "var" / "admin-token"
    assert VtnConfig(plain_http=True, state_dir=Path("rel")).state_dir == Path("/rel")


def test_state_dir_moves_the_defaults_and_explicit_settings_win(tmp_path: Path) -> None:
    path = _write(tmp_path, 'plain_http = true\nstate_dir = "/srv/oadr"\n')
    config = load_config(path)
    assert config.database_url == "sqlite+aiosqlite:////srv/oadr/vtn.sqlite"
    assert config.admin.token_file == Path("/srv/oadr/admin-token")
    path = _write(tmp_path, 'plain_http = true\nstate_dir = "state"\n'
                            'database_url = "sqlite+aiosqlite:///db/x.sqlite"\n'
                            '[admin]\ntoken_file = "/etc/oadr/token"\n')
    config = load_config(path)
    assert config.state_dir == tmp_path / "state"
    # a relative SQLite path in the file is relative to the file, like every path in it
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'db' / 'x.sqlite'}"
    assert config.admin.token_file == Path("/etc/oadr/token")
    postgres = "postgresql+asyncpg://vtn@db.test/vtn"
    assert load_config(path, {"database_url": postgres}).database_url == postgres


def test_the_admin_listener_stays_on_loopback_unless_remote_access_is_explicit() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.7", "vtn.example.com"))
    remote = load_config(None, {"plain_http": True, "admin.host": "0.0.0.0",
                                "admin.allow_remote": True})
    assert remote.admin.host == "0.0.0.0" and remote.admin.enabled
    off = load_config(None, {"plain_http": True, "admin.host": "0.0.0.0", "admin.port": 0})
    assert not off.admin.enabled  # off: nothing listens, nothing to refuse
    assert VtnConfig(plain_http=True, admin=AdminSettings(port=0)).admin.token_file is not None


def test_the_proxy_fingerprint_header_needs_a_tls_terminating_proxy() -> None:
    # with TLS terminated by the VTN itself the certificate decides: a header would let one
    # VEN claim another VEN's fingerprint
    with pytest.raises(ConfigError, match=r"tls\.client_fingerprint_header"):
        VtnConfig(tls=TlsSettings(cert=Path("c"), key=Path("k"), ca=Path("a"),
                                  client_fingerprint_header="X-Client-Fingerprint"))
    proxied = VtnConfig(plain_http=True,
                        tls=TlsSettings(client_fingerprint_header="X-Client-Fingerprint"))
    assert proxied.tls.client_fingerprint_header == "X-Client-Fingerprint"
    both = r"2 problems:\n  - signing\.cert: .*\n  - signing\.key: "
    with pytest.raises(ConfigError, match=both):
        VtnConfig(plain_http=True, signing=SigningSettings(sign_messages=True))


def test_a_tls_vtn_refuses_a_plain_http_push_address() -> None:
    from types import SimpleNamespace

    from common.errors import InvalidData
    from common.messages.enums import ProfileName, TransportName
    from common.messages.registration import CreatePartyRegistration
    from vtn.services.registration import _wanted

    def request(address: str) -> CreatePartyRegistration:
        return CreatePartyRegistration(
            request_id="r", profile_name=ProfileName.B, transport_name=TransportName.SIMPLE_HTTP,
            report_only=False, xml_signature=False, ven_name="v", http_pull_model=False,
            transport_address=address,
        )

    files = TlsSettings(cert=Path("c"), key=Path("k"), ca=Path("a"))
    tls = SimpleNamespace(config=VtnConfig(tls=files))
    with pytest.raises(InvalidData, match="https://"):
        _wanted(tls, "AB:" * 9 + "AB", request("http://ven.example.com:8081"))  # type: ignore[arg-type]
    wanted = _wanted(tls, "AB:" * 9 + "AB", request("https://ven.example.com:8081"))  # type: ignore[arg-type]
    assert wanted.transport_address == "https://ven.example.com:8081"
    plain = SimpleNamespace(config=VtnConfig(plain_http=True))
    assert _wanted(plain, "x", request("http://127.0.0.1:8081")).http_pull_model is False  # type: ignore[arg-type]
