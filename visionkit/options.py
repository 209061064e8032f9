"""Typed, validated backend options, and the :class:`Secret` that keeps keys out of output.

Each backend declares its options as a frozen dataclass. Field metadata made
by :func:`option` says which environment variables feed the field and
whether it is secret, so configuration, ``visionkit config`` and error
messages are all driven from that one declaration, and a typo'd option name
is an error instead of a silent default.
"""

from __future__ import annotations

import dataclasses
import difflib
import threading
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from visionkit.errors import ConfigError


class Secret:
    """A string that never shows itself by accident.

    ``str()``, ``repr()`` and f-strings all print ``'**********'``; the value is
    only reachable through :meth:`reveal`, which makes every use a deliberate,
    greppable act (the same idea as pydantic's ``SecretStr``).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("visionkit.Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


_KNOWN_SECRETS: set[str] = set()
_known_lock = threading.Lock()


def known_secrets() -> frozenset[str]:
    """Every secret value validated by :func:`checked_secret` in this process.

    The shared scrubber (:mod:`visionkit.backends.http.secrets`) removes these
    from anything a service answered, whichever backend configured them.
    """
    with _known_lock:
        return frozenset(_KNOWN_SECRETS)


def remember_secrets(values: Iterable[str]) -> None:
    """Add secrets that reached a backend some other way (OAuth tokens, botocore's
    credential chain) to :func:`known_secrets`, so logs and caches scrub them too."""
    with _known_lock:
        _KNOWN_SECRETS.update(v for v in values if v)


def checked_secret(value: str | Secret, *, name: str) -> Secret:
    """``value`` as a :class:`Secret` fit for an HTTP header, or a ConfigError that hides it.

    Surrounding whitespace (a pasted newline, a trailing space) is stripped,
    because it is never part of a key. Anything else a header cannot carry is
    refused: left in, httpx would reject the header with a message quoting
    the key, and that message would reach logs and tracebacks. The error says
    what is wrong and where, never the value.
    """
    text = (value.reveal() if isinstance(value, Secret) else str(value)).strip()
    problem = None
    if any(c in "\r\n" for c in text):
        problem = "contains a line break"
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        problem = "contains a control character (a tab or other invisible character)"
    elif not text.isascii():
        problem = "contains a non-ASCII character (often a pasted quote or dash)"
    if problem:
        raise ConfigError(
            f"{name} {problem}; keys are plain ASCII on one line. Copy it again from "
            f"the provider's console (the value is not shown here on purpose)."
        )
    with _known_lock:
        if text:
            _KNOWN_SECRETS.add(text)
    return Secret(text)


def check_secret_fields(options: Any, *, backend: str) -> None:
    """Validate (and strip) every secret field of a frozen options dataclass in place.

    For ``__post_init__``: options built directly (``AzureOptions(key=...)``)
    or with :func:`dataclasses.replace` skip :func:`coerce`, and must be held
    to the same rules.
    """
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        if is_secret(f) and isinstance(value, Secret | str):
            object.__setattr__(options, f.name, checked_secret(value, name=f"{backend}.{f.name}"))


def option(
    default: Any = None,
    *,
    env: tuple[str, ...] = (),
    secret: bool = False,
    help: str = "",
) -> Any:
    """A dataclass field for a backend option (use as ``key: Secret | None = option(...)``)."""
    return dataclasses.field(default=default, metadata={"env": env, "secret": secret, "help": help})


def option_env(f: dataclasses.Field[Any]) -> tuple[str, ...]:
    return tuple(f.metadata.get("env", ()))


def is_secret(f: dataclasses.Field[Any]) -> bool:
    return bool(f.metadata.get("secret", False))


def option_help(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("help", ""))


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """Options of a backend that takes none."""


_O = TypeVar("_O")


def build_options(
    options_type: type[_O],
    values: Mapping[str, Any],
    *,
    backend: str,
    sources: Mapping[str, str] | None = None,
) -> _O:
    """Validate and coerce ``values`` into ``options_type``.

    Values may come from TOML, the environment (strings) or Python; each is
    coerced to the field's declared type. ``sources`` (key -> where it came
    from) only improves the error message.
    """
    known = {f.name: f for f in dataclasses.fields(options_type)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(options_type)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            where = f" (from {sources[key]})" if sources and key in sources else ""
            valid = ", ".join(sorted(known)) or "none"
            raise ConfigError(
                f"Unknown option {key!r} for the {backend!r} backend{where}.{hint} "
                f"Valid options: {valid}.",
                backend=backend,
            )
        kwargs[key] = coerce(value, hints[key], name=f"{backend}.{key}")
    try:
        return options_type(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"Invalid options for the {backend!r} backend: {exc}", backend=backend
        ) from exc


def coerce(value: Any, tp: Any, *, name: str) -> Any:
    """Convert a configuration value (often a string) to the declared type ``tp``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        non_none = [a for a in args if a is not type(None)]
        errors: list[str] = []
        for candidate in non_none:
            try:
                return coerce(value, candidate, name=name)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"Invalid value for {name}: {value!r}")
    if tp is Any:
        return value
    if tp is Secret:
        if isinstance(value, Secret | str):
            return checked_secret(value, name=name)
        raise ConfigError(f"{name} must be a string.")
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, got {value!r}.")
    if tp is int or tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}.")
        try:
            number = tp(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, got {value!r}.") from None
        return number
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, Path):
            return str(value)
        raise ConfigError(f"{name} must be a string, got {value!r}.")
    if tp is Path:
        if isinstance(value, str | Path):
            return Path(value).expanduser()
        raise ConfigError(f"{name} must be a path, got {value!r}.")
    if origin is tuple:
        items = (
            [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value
        )
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{name} must be a list, got {value!r}.")
        inner = args[0] if args else Any
        return tuple(coerce(v, inner, name=name) for v in items)
    if typing.get_origin(tp) is typing.Literal:
        if value in args:
            return value
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, args))}, got {value!r}.")
    return value


def redacted(options: Any) -> dict[str, Any]:
    """The options as a dict fit for printing: secrets shown as ``'**********'``."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        out[f.name] = "**********" if (is_secret(f) and value) else value
    return out


__all__ = [
    "NoOptions",
    "Secret",
    "build_options",
    "check_secret_fields",
    "checked_secret",
    "coerce",
    "known_secrets",
    "option",
    "redacted",
    "remember_secrets",
]
