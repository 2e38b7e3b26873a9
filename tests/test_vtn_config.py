"""VtnConfig: TOML and overrides, errors that name the field, TLS never optional by accident."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from common.errors import ConfigError
from vtn.config import DEFAULT_DATABASE_URL, VtnConfig, load_config


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
tls_cert = "certs/vtn.pem"
tls_key = "certs/vtn.key"
tls_ca = "/etc/oadr/ca.pem"
poll_frequency = 30
market_contexts = ["http://utility.test/cpp"]

[vtn]
require_signatures = true
""",
    )
    config = load_config(path, {"port": 10443, "push_backoff": 1.5})
    assert config.vtn_id == "UTILITY-VTN" and config.port == 10443
    assert config.tls_cert == tmp_path / "certs/vtn.pem"  # relative to the file
    assert config.tls_ca == Path("/etc/oadr/ca.pem")
    assert config.poll_frequency == timedelta(seconds=30)
    assert config.push_backoff == timedelta(seconds=1.5)
    assert config.require_signatures is True
    assert config.market_contexts == ("http://utility.test/cpp",)
    assert config.database_url == DEFAULT_DATABASE_URL
    assert config.admin_token_file == Path("var/admin-token")  # defaults: working directory


def test_tls_is_required_unless_plain_http_is_explicit() -> None:
    with pytest.raises(ConfigError, match="tls_cert"):
        load_config(None, {})
    with pytest.raises(ConfigError, match="tls_ca"):
        VtnConfig(tls_cert=Path("c"), tls_key=Path("k"))
    assert load_config(None, {"plain_http": True}).plain_http
    with pytest.raises(ConfigError, match="plain_http: must be true or false"):
        load_config(None, {"plain_http": "yes"})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"port": 70000}, "port"),
        ({"port": "80"}, "port"),
        ({"poll_frequency": 0}, "poll_frequency"),
        ({"poll_frequency": "10s"}, "poll_frequency"),
        ({"vtn_id": "lower-case-vtn"}, "vtn_id"),
        ({"vtn_id": " "}, "vtn_id"),
        ({"database_url": "mysql://x"}, "database_url"),
        ({"max_body_bytes": 10}, "max_body_bytes"),
        ({"request_reports": ["HISTORY_USAGE"]}, "request_reports"),
        ({"market_contexts": "http://one"}, "market_contexts"),
        ({"sign_messages": True}, "signing_cert"),
        ({"push_backoff_max": 0.5}, "push_backoff_max"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_errors_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=f"^{field}"):
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
            "tls_key_passphrase": "hunter2",
        },
    )
    text = repr(config)
    assert "s3cret" not in text and "hunter2" not in text
    assert "postgresql+asyncpg://vtn:***@db.test/vtn" in text
