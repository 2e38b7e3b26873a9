"""One TOML configuration loader: TOML -> frozen, nested dataclasses, driven by their type hints.

A configuration is a tree of dataclasses. Each field's type hint says how its TOML value is read:

- ``bool``, ``int``, ``float`` (an integer is accepted; it must be finite), ``str``;
- ``Path``: a string, relative to the file's directory (``~`` expanded);
- ``timedelta``: a number of seconds [s];
- ``datetime``: a TOML date-time;
- ``Literal[...]`` and ``Enum`` subclasses: one of the listed values;
- ``X | None``: the field may be left out (TOML has no null; a mapping may pass ``None``);
- a nested dataclass: a TOML table (``[tls]``);
- ``tuple[X, ...]``: an array; ``tuple[X, Y]``: an array of exactly that length; a tuple of
  dataclasses is an array of tables (``[[devices]]``).

Per-field checks ride on the field's metadata (``field(metadata=rules(check=...))``) or are
passed to the loader by field name. Unknown keys are refused, with the known ones listed. Every
problem is collected; one ``ConfigProblems`` (a ``ConfigError``) names them all, each with its
field's full dotted path and the file, e.g. ``vtn.toml: tls.cert: must be a file path, got 3``.

A dataclass may refuse a combination of fields in ``__post_init__`` by raising
``ConfigProblems`` (paths relative to that dataclass) or any ``ConfigError``/``ValueError``
(reported at the table's path). Secrets stay out of ``repr``: declare them with
``field(repr=False)``.

    config = load(VenConfig, path)                    # a file
    config = load_text(VenConfig, text, base=...)     # TOML text
    config = load_mapping(VenConfig, data, overrides={"admin.port": 0})

Pure: the standard library only (``tomllib``), no process-global state.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import tomllib
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import (
    Any,
    Literal,
    NamedTuple,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from common.errors import ConfigError

__all__ = [
    "Check",
    "ConfigProblems",
    "Converter",
    "Problem",
    "Problems",
    "Reader",
    "check_fields",
    "converter_for",
    "load",
    "load_mapping",
    "load_text",
    "read_toml",
    "rules",
    "show",
]

T = TypeVar("T")
Check = Callable[[Any], str | None]
"""A per-field rule: the converted value -> ``None`` when fine, else what is wrong."""
Converter = Callable[[object], Any]
"""Converts one raw TOML value, or raises ``ValueError`` (an optional ``where`` attribute on
the error names a sub-path inside the field, such as ``.18-22``)."""
FieldConverter = Callable[[object, Path], Any]
"""A field's own converter (``rules(convert=...)``): raw value and base directory -> value."""

CHECK = "config.check"
CONVERT = "config.convert"


class Problem(NamedTuple):
    """One thing wrong: the field's full dotted path (empty: the whole file) and the message."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigProblems(ConfigError):
    """Every problem of one configuration at once; ``problems`` has them one by one.

    The text is ``where: message`` for a single problem, else ``N problems:`` and one
    ``- where: message`` line each; prefixed by ``source: `` when the source is known.
    """

    def __init__(self, problems: Iterable[Problem | tuple[str, str]], source: str = "") -> None:
        self.problems = tuple(Problem(*p) for p in problems)
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{prefix}{self.problems[0]}"
        lines = "".join(f"\n  - {p}" for p in self.problems)
        return f"{prefix}{len(self.problems)} problems:{lines}"


class Problems:
    """Collects problems so that one run of a loader reports them all."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        """Record that the field at `where` (full dotted path) is wrong."""
        self.items.append(Problem(where, message))

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, source: str = "") -> None:
        """Raise one ``ConfigProblems`` naming every recorded problem, if there is any."""
        if self.items:
            raise ConfigProblems(self.items, source)


def rules(*, check: Check | None = None, convert: FieldConverter | None = None
          ) -> dict[str, object]:
    """Field metadata for the loader: a per-field `check`, and/or the field's own `convert`er.

    ``field(default=8081, metadata=rules(check=port))``. Secrets (passwords, passphrases,
    tokens) take ``field(repr=False)`` as well.
    """
    metadata: dict[str, object] = {}
    if check is not None:
        metadata[CHECK] = check
    if convert is not None:
        metadata[CONVERT] = convert
    return metadata


def check_fields(instance: object, where: str = "") -> list[Problem]:
    """The per-field checks of a made dataclass and of the dataclasses in it (for values
    made in code rather than loaded, whose fields the loader did not see)."""
    found: list[Problem] = []
    for spec in dataclasses.fields(instance):  # type: ignore[arg-type]
        value = getattr(instance, spec.name)
        path = _join(where, spec.name)
        check = spec.metadata.get(CHECK)
        message = check(value) if check is not None and value is not None else None
        if message is not None:
            found.append(Problem(path, message))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found.extend(check_fields(value, path))
    return found


# ---- reading TOML ---------------------------------------------------------------------------


def read_toml(path: str | Path, what: str = "configuration file") -> dict[str, Any]:
    """The parsed TOML file at `path` (``ConfigError``: ``path: cannot read the <what>: ...``
    or ``path: not valid TOML: ...``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc
    return parse_toml(text, str(path))


def parse_toml(text: str, source: str = "<string>") -> dict[str, Any]:
    """The parsed TOML `text` (``ConfigError``: ``source: not valid TOML: ...``)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc


# ---- the public entry points ----------------------------------------------------------------


def load(
    cls: type[T],
    path: str | Path,
    *,
    overrides: Mapping[str, object] | None = None,
    what: str = "configuration file",
    checks: Mapping[str, Check] | None = None,
    converters: Mapping[object, Converter] | None = None,
) -> T:
    """The `cls` of the TOML file at `path`; relative paths count from the file's directory.

    `overrides` (dotted keys such as ``"admin.port"``) replace the file's values; their
    relative paths count from the working directory.
    """
    file = Path(path)
    data = read_toml(file, what)
    return load_mapping(cls, data, base=file.parent, source=str(file), overrides=overrides,
                        checks=checks, converters=converters)


def load_text(
    cls: type[T],
    text: str,
    *,
    base: Path = Path("."),
    source: str = "<string>",
    checks: Mapping[str, Check] | None = None,
    converters: Mapping[object, Converter] | None = None,
) -> T:
    """The `cls` of TOML `text`; relative paths count from `base`."""
    return load_mapping(cls, parse_toml(text, source), base=base, source=source, checks=checks,
                        converters=converters)


def load_mapping(
    cls: type[T],
    data: Mapping[str, object],
    *,
    base: Path = Path("."),
    source: str = "",
    overrides: Mapping[str, object] | None = None,
    checks: Mapping[str, Check] | None = None,
    converters: Mapping[object, Converter] | None = None,
) -> T:
    """The `cls` of a parsed TOML document (or any mapping of the same shape).

    Raises ``ConfigProblems`` naming every problem (and `source`, when given).
    """
    merged = with_overrides(data, overrides or {}, Path.cwd())
    reader = Reader(checks=checks, converters=converters)
    value = reader.dataclass(cls, merged, "", base)
    reader.problems.raise_if_any(source)
    return cast(T, value)


class Based(NamedTuple):
    """A raw value whose relative paths count from `base` rather than the file's directory."""

    value: object
    base: Path


def with_overrides(
    data: Mapping[str, object], overrides: Mapping[str, object], base: Path
) -> dict[str, object]:
    """`data` with each dotted key of `overrides` set (its paths relative to `base`)."""
    merged = _copy(data)
    for key, value in overrides.items():
        *tables, name = key.split(".")
        table = merged
        for part in tables:
            inner = table.get(part)
            if not isinstance(inner, dict):
                inner = table[part] = {}
            table = inner
        table[name] = Based(value, base)
    return merged


def _copy(data: Mapping[str, object]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


# ---- conversion -----------------------------------------------------------------------------


_FAILED: Any = object()


class Reader:
    """Converts raw TOML values to typed ones, recording each problem with its full path.

    `checks` are extra per-field rules by field name (any dataclass); `converters` replace the
    conversion of a type hint (``{tuple[float, ...]: hourly}``).
    """

    def __init__(
        self,
        *,
        checks: Mapping[str, Check] | None = None,
        converters: Mapping[object, Converter] | None = None,
        problems: Problems | None = None,
    ) -> None:
        self.checks = dict(checks or {})
        self.converters = dict(converters or {})
        self.problems = problems if problems is not None else Problems()

    def dataclass(self, cls: type[Any], raw: object, where: str, base: Path) -> Any:
        """An instance of `cls` from a table, or a failure marker (problems recorded)."""
        if not isinstance(raw, Mapping):
            self.problems.add(where, f"must be a table, got {show(raw)}")
            return _FAILED
        before = len(self.problems)
        values = self.fields(cls, raw, where, base)
        if len(self.problems) != before:
            return _FAILED
        return self.construct(cls, values, where)

    def construct(self, cls: type[Any], values: Mapping[str, Any], where: str) -> Any:
        """``cls(**values)``; what its ``__post_init__`` refuses is recorded under `where`."""
        try:
            return cls(**values)
        except ConfigProblems as exc:
            for problem in exc.problems:
                self.problems.add(_join(where, problem.where), problem.message)
        except (ConfigError, ValueError) as exc:
            self.problems.add(where, str(exc))
        return _FAILED

    def fields(
        self,
        cls: type[Any],
        raw: Mapping[str, object],
        where: str,
        base: Path,
        *,
        skip: Iterable[str] = (),
        extra: Iterable[str] = (),
        required_note: str = "",
    ) -> dict[str, Any]:
        """The converted fields of `cls` found in `raw` (absent ones are left to their
        defaults); unknown keys (not a field, not in `extra`) and missing required fields are
        recorded. `skip` names fields read elsewhere."""
        hints = get_type_hints(cls)
        skipped = set(skip)
        known = [f for f in dataclasses.fields(cls) if f.name not in skipped and f.init]
        allowed = sorted({f.name for f in known} | set(extra))
        for key in raw:
            if key not in allowed:
                self.problems.add(_join(where, key), unknown_key(key, allowed))
        values: dict[str, Any] = {}
        for spec in known:
            path = _join(where, spec.name)
            if spec.name not in raw:
                if spec.default is dataclasses.MISSING and (
                    spec.default_factory is dataclasses.MISSING
                ):
                    self.problems.add(path, f"is required{required_note}")
                continue
            value = self.field(spec, hints[spec.name], raw[spec.name], path, base)
            if value is not _FAILED:
                values[spec.name] = value
        return values

    def field(
        self, spec: dataclasses.Field[Any], hint: object, raw: object, where: str, base: Path
    ) -> Any:
        """One field's value (its own converter, else by type hint), then its checks."""
        own = spec.metadata.get(CONVERT)
        if own is not None:
            if isinstance(raw, Based):
                base = raw.base
                raw = raw.value
            value = self._leaf(lambda v: own(v, base), raw, where)
        else:
            value = self.value(hint, raw, where, base)
        if value is _FAILED:
            return _FAILED
        for check in (spec.metadata.get(CHECK), self.checks.get(spec.name)):
            message = check(value) if check is not None and value is not None else None
            if message is not None:
                self.problems.add(where, message)
                return _FAILED
        return value

    def value(self, hint: object, raw: object, where: str, base: Path) -> Any:
        """`raw` converted to `hint`, or a failure marker (problem recorded at `where`)."""
        if isinstance(raw, Based):
            base = raw.base
            raw = raw.value
        if hint in self.converters:
            return self._leaf(self.converters[hint], raw, where)
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            args = get_args(hint)
            if raw is None and type(None) in args:
                return None
            inner = [a for a in args if a is not type(None)]
            if len(inner) != 1:
                raise TypeError(f"{where}: no TOML reading for {hint!r}")
            return self.value(inner[0], raw, where, base)
        if origin is tuple:
            return self._tuple(get_args(hint), raw, where, base)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.dataclass(hint, raw, where, base)
        if hint is Path:
            return self._leaf(lambda v: _path(v, base), raw, where)
        return self._leaf(converter_for(hint), raw, where)

    def _tuple(self, args: tuple[Any, ...], raw: object, where: str, base: Path) -> Any:
        if not isinstance(raw, list | tuple):
            shape = "an array" if len(args) == 2 and args[1] is Ellipsis else (
                f"an array of {len(args)} entries")
            item = args[0]
            if isinstance(item, type) and dataclasses.is_dataclass(item):
                shape = "an array of tables"
            self.problems.add(where, f"must be {shape}, got {show(raw)}")
            return _FAILED
        if len(args) == 2 and args[1] is Ellipsis:
            kinds = [args[0]] * len(raw)
        elif len(raw) != len(args):
            self.problems.add(where, f"must be an array of {len(args)} entries, got {show(raw)}")
            return _FAILED
        else:
            kinds = list(args)
        items = [self.value(kind, item, f"{where}[{number}]", base)
                 for number, (kind, item) in enumerate(zip(kinds, raw, strict=True))]
        return _FAILED if any(i is _FAILED for i in items) else tuple(items)

    def _leaf(self, convert: Converter, raw: object, where: str) -> Any:
        try:
            return convert(raw)
        except ValueError as exc:
            self.problems.add(f"{where}{getattr(exc, 'where', '')}",
                              str(getattr(exc, "message", exc)))
            return _FAILED


def _join(where: str, name: str) -> str:
    if not where:
        return name
    return f"{where}.{name}" if name and not name.startswith("[") else f"{where}{name}"


def unknown_key(key: str, known: Iterable[str]) -> str:
    """The message for an unknown `key`: the closest known one, and all of them."""
    names = sorted(known)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f"is not a known setting{hint} (known: {', '.join(names)})"


def show(value: object) -> str:
    """`value` as it would be written in TOML, for messages."""
    if isinstance(value, Based):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return f"an array of {len(value)}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def converter_for(hint: object) -> Converter:
    """The converter of a leaf type hint (not a dataclass, tuple or ``Path``)."""
    if get_origin(hint) is Literal:
        return _literal(get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    known: dict[object, Converter] = {
        bool: _bool, int: _int, float: _float, str: _str, timedelta: _seconds,
        datetime: _datetime,
    }
    if hint in known:
        return known[hint]
    raise TypeError(f"no TOML reading for {hint!r}")


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {show(value)}")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be an integer, got {show(value)}")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {show(value)}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {show(value)}")
    return float(value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {show(value)}")
    return value


def _seconds(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"must be a number of seconds, got {show(value)}")
    return timedelta(seconds=value)


def _datetime(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"must be a date-time, got {show(value)}")
    return value


def _path(value: object, base: Path) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise ValueError(f"must be a file path, got {show(value)}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _literal(choices: tuple[Any, ...]) -> Converter:
    def convert(value: object) -> Any:
        if isinstance(value, bool) or value not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}, got {show(value)}")
        return value

    return convert


def _enum(kind: type[enum.Enum]) -> Converter:
    def convert(value: object) -> Any:
        if isinstance(value, kind):
            return value
        for member in kind:
            if not isinstance(value, bool) and member.value == value:
                return member
        choices = ", ".join(str(m.value) for m in kind)
        raise ValueError(f"must be one of {choices}, got {show(value)}")

    return convert
