"""The ``[mqtt]`` table of ven.toml: defaults, every key read, errors naming the field, and the
password kept out of repr."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from common.errors import ConfigError
from ven.client.config import parse_config
from ven.devices.mqttconfig import MqttSettings, MqttTls, broker_address

BASE = """\
[vtn]
url = "http://vtn.example/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "office"
"""


def test_no_mqtt_table_means_the_embedded_simulation() -> None:
    assert parse_config(BASE).mqtt is None


def test_an_empty_mqtt_table_takes_the_defaults() -> None:
    settings = parse_config(BASE + "[mqtt]\n").mqtt
    assert settings == MqttSettings()
    assert settings.url == "mqtt://127.0.0.1:1883" and settings.prefix == "oadr"
    assert settings.stale_after == timedelta(seconds=60)
    assert settings.command_timeout == timedelta(seconds=30)
    assert settings.meter is None and settings.tls is None and settings.keepalive == 30


def test_every_key_is_read_and_tls_paths_are_relative_to_the_file() -> None:
    settings = parse_config(BASE + """\
[mqtt]
url = "mqtts://broker.example:8884"
username = "ven"
password = "hunter2"
prefix = "building/office-sj"
stale_after = 90
command_timeout = 12.5
meter = "main-meter"
client_id = "ven-office"
keepalive = 10
[mqtt.tls]
ca = "ca.pem"
cert = "ven.pem"
key = "ven.key"
""", base=Path("/etc/ven")).mqtt
    assert settings == MqttSettings(
        url="mqtts://broker.example:8884", username="ven", password="hunter2",
        prefix="building/office-sj", stale_after=timedelta(seconds=90),
        command_timeout=timedelta(seconds=12.5), meter="main-meter", client_id="ven-office",
        keepalive=10, tls=MqttTls(ca=Path("/etc/ven/ca.pem"), cert=Path("/etc/ven/ven.pem"),
                                  key=Path("/etc/ven/ven.key")))
    assert broker_address(settings.url) == ("broker.example", 8884, True)
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(parse_config(
        BASE + '[mqtt]\npassword = "hunter2"\n'))


@pytest.mark.parametrize(("line", "field", "words"), [
    ('url = "http://broker"', "mqtt.url", "mqtt://host"),
    ("stale_after = 0", "mqtt.stale_after", "must be positive"),
    ("command_timeout = -1", "mqtt.command_timeout", "must be positive"),
    ('stale_after = "PT1M"', "mqtt.stale_after", "number of seconds"),
    ('prefix = "/building/#"', "mqtt.prefix", "topic path"),
    ("keepalive = 0", "mqtt.keepalive", "at least 1"),
    ("colour = 1", "mqtt.colour", "not a known setting"),
])
def test_a_bad_value_is_an_error_naming_its_field(line: str, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + f'[mqtt]\npassword = "hunter2"\n{line}\n', source="ven.toml")
    message = str(caught.value)
    assert f"ven.toml: {field}: " in message and words in message
    assert "hunter2" not in message
