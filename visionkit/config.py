"""Where settings come from, in one place.

Precedence, highest first::

    call arguments  >  visionkit.configure()  >  environment  >  config file  >  defaults

The config file is the one ``VISIONKIT_CONFIG`` names, else the nearest
``visionkit.toml`` or ``pyproject.toml`` with a ``[tool.visionkit]`` table in
the working directory or its parents. Its shape::

    backend = "azure"            # which backend analyze() uses by default
    fallback = ["local"]         # who answers when it is down (docs/fallback.md); default: none

    [azure]                      # one table per backend, keys = that backend's options
    endpoint = "https://myres.cognitiveservices.azure.com"

    [local]
    top_k = 3

    [compare]                    # visionkit.compare thresholds and crosswalk (docs/compare.md)
    top_k = 5

    [images]                     # image limits and the URL policy (docs/images.md)
    allowed_hosts = ["localhost"]

Every value remembers where it came from, so ``visionkit config`` can show it
and an error can point at the line to fix. Unknown keys are errors, never
silently ignored: a typo must not quietly fall back to a default.

It is over the project's ~400-line guide because every configuration layer (arguments,
configure(), environment, files) is resolved here in one precedence order; splitting the
layers would scatter that order.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import threading
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visionkit.errors import ConfigError
from visionkit.images import settings as _image_settings
from visionkit.options import build_options, is_secret, option_env

DEFAULT_BACKEND = "local"
ENV_BACKEND = "VISIONKIT_BACKEND"
ENV_CONFIG = "VISIONKIT_CONFIG"
ENV_FALLBACK = "VISIONKIT_FALLBACK"
TOP_LEVEL_KEYS = frozenset({"backend", "fallback"})
SECTION_KEYS = frozenset({"compare", "images"})
"""Tables that are not backends: ``[compare]``, read by :mod:`visionkit.comparison`, and
``[images]``, read by :mod:`visionkit.images.settings`."""


@dataclass(frozen=True)
class Setting:
    """A resolved value and where it came from (``"default"``, ``"env AZURE_VISION_KEY"``, ...)."""

    value: Any
    source: str


@dataclass(frozen=True)
class ConfigFile:
    """The parsed visionkit table of a config file."""

    path: Path
    data: Mapping[str, Any]
    label: str  # "visionkit.toml" or "pyproject.toml [tool.visionkit]"


@dataclass
class _Configured:
    """What :func:`configure` has set in this process."""

    backend: str | None = None
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    fallback: tuple[str, ...] | None = None
    compare: dict[str, Any] = field(default_factory=dict)
    images: dict[str, Any] = field(default_factory=dict)


_lock = threading.RLock()
_configured = _Configured()
_generation = 0  # bumped on every configure(); lets caches know they are stale


def configure(
    backend: str | None = None,
    *,
    fallback: Sequence[str] | str | None = None,
    compare: Mapping[str, Any] | None = None,
    images: Mapping[str, Any] | None = None,
    **backend_options: Mapping[str, Any],
) -> None:
    """Set process-wide defaults, above the environment and config files.

    ``visionkit.configure(backend="azure", azure={"endpoint": ..., "key": ...})``.
    Calls merge: a later call overrides only the keys it names. Values are
    validated when an analyzer is built, so a typo fails at first use with
    the backend's list of valid options. ``fallback`` names the backends that
    answer when the default one is down (``[]`` turns it off again);
    ``compare`` holds :func:`visionkit.compare` settings and crosswalk entries;
    ``images`` holds image limits and the URL policy (docs/images.md).
    """
    global _generation
    with _lock:
        if backend is not None:
            if not isinstance(backend, str) or not backend:
                raise ConfigError("backend must be a backend name such as 'local' or 'azure'.")
            _configured.backend = backend
        if fallback is not None:
            _configured.fallback = _fallback_names(fallback, "configure(fallback=...)")
        if compare is not None:
            if not isinstance(compare, Mapping):
                raise ConfigError("configure(compare=...) takes a dict of compare settings.")
            _configured.compare.update(compare)
        if images is not None:
            if not isinstance(images, Mapping):
                raise ConfigError("configure(images=...) takes a dict of image settings.")
            _configured.images.update(images)
        for name, values in backend_options.items():
            if not isinstance(values, Mapping):
                raise ConfigError(
                    f"configure({name}=...) takes a dict of that backend's options, "
                    f"e.g. configure({name}={{'option': value}}); got {type(values).__name__}."
                )
            _configured.backends.setdefault(name, {}).update(values)
        _generation += 1


@contextlib.contextmanager
def configured_backend(backend: str) -> Iterator[None]:
    """Within the block, ``backend`` is the configured default, as ``configure(backend=...)``
    would set it; what was configured before comes back on exit (tests, the fake backend)."""
    global _generation
    with _lock:
        previous = _configured.backend
        _configured.backend = backend
        _generation += 1
    try:
        yield
    finally:
        with _lock:
            _configured.backend = previous
            _generation += 1


def reset_configuration() -> None:
    """Forget everything :func:`configure` set (tests, notebooks)."""
    global _configured, _generation
    with _lock:
        _configured = _Configured()
        _generation += 1


def configuration_generation() -> int:
    return _generation


# -- config files -------------------------------------------------------------------------


def find_config_file(
    start: Path | None = None, environ: Mapping[str, str] | None = None
) -> ConfigFile | None:
    """The config file in force, or ``None``; see the module docstring for the search."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_CONFIG)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"{ENV_CONFIG} names {str(path)!r}, which is not a file. "
                f"Fix the path or unset {ENV_CONFIG}."
            )
        data = _read_toml(path)
        if path.name == "pyproject.toml":
            table = copy.deepcopy(data.get("tool", {}).get("visionkit", {}))
            return ConfigFile(path, table, "pyproject.toml [tool.visionkit]")
        return ConfigFile(path, copy.deepcopy(data), path.name)
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / "visionkit.toml"
        if candidate.is_file():
            return ConfigFile(candidate, copy.deepcopy(_read_toml(candidate)), "visionkit.toml")
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("visionkit")
            if table is not None:
                return ConfigFile(
                    pyproject, copy.deepcopy(table), "pyproject.toml [tool.visionkit]"
                )
    return None


_parsed: dict[Path, tuple[bytes, dict[str, Any]]] = {}
"""Parsed config files by path, with the bytes they were parsed from."""


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML, parsed again only when its bytes changed.

    Image limits are resolved for every image loaded, and parsing a project's
    ``pyproject.toml`` takes milliseconds: per image, that was most of what a
    batch of small images cost. Reading and comparing the bytes costs
    microseconds and, unlike a modification time, cannot miss a quick rewrite.
    The parsed tables are shared: callers copy what they keep (only the
    ``[tool.visionkit]`` table, not a whole ``pyproject.toml``).
    """
    try:
        raw = path.read_bytes()
        with _lock:
            cached = _parsed.get(path)
        if cached is None or cached[0] != raw:
            cached = (raw, tomllib.loads(raw.decode("utf-8")))
            with _lock:
                _parsed[path] = cached
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file or remove it.") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc.strerror}.") from exc
    return cached[1]


def _check_file(config: ConfigFile) -> None:
    from visionkit.backends.registry import backend_names

    names = set(backend_names())
    for key, value in config.data.items():
        if key in TOP_LEVEL_KEYS:
            continue
        if key in (names | SECTION_KEYS) and isinstance(value, Mapping):
            continue
        import difflib

        close = difflib.get_close_matches(key, [*TOP_LEVEL_KEYS, *SECTION_KEYS, *names], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown key {key!r} in {config.path}.{hint} Top-level keys: backend, fallback; "
            f"tables: [compare], [images], {', '.join(f'[{n}]' for n in sorted(names))}."
        )


# -- resolution ---------------------------------------------------------------------------


def resolve_backend_name(
    backend: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: ConfigFile | bool | None = True,
) -> Setting:
    """Which backend to use, and why."""
    env = os.environ if environ is None else environ
    if backend is not None:
        return Setting(backend, "argument")
    with _lock:
        if _configured.backend is not None:
            return Setting(_configured.backend, "configure()")
    if env.get(ENV_BACKEND):
        return Setting(env[ENV_BACKEND], f"env {ENV_BACKEND}")
    file = _file_or_none(config, env)
    if file is not None and "backend" in file.data:
        value = file.data["backend"]
        if not isinstance(value, str):
            raise ConfigError(
                f"'backend' in {file.path} must be a string, e.g. backend = \"local\"."
            )
        return Setting(value, file.label)
    return Setting(DEFAULT_BACKEND, "default")


def _fallback_names(value: Any, source: str) -> tuple[str, ...]:
    """A backend list from a list or a comma-separated string; the CLI and TOML read the same."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            f'fallback in {source} must be a list of backend names, e.g. fallback = ["local"].'
        )
    return tuple(value)


def resolve_fallback(
    fallback: Sequence[str] | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: ConfigFile | bool | None = True,
) -> Setting:
    """The backends to try, in order, after the primary fails (empty: no fallback), and why."""
    env = os.environ if environ is None else environ
    if fallback is not None:
        return Setting(_fallback_names(fallback, "the fallback argument"), "argument")
    with _lock:
        if _configured.fallback is not None:
            return Setting(_configured.fallback, "configure()")
    if ENV_FALLBACK in env:
        return Setting(_fallback_names(env[ENV_FALLBACK], ENV_FALLBACK), f"env {ENV_FALLBACK}")
    file = _file_or_none(config, env)
    if file is not None and "fallback" in file.data:
        return Setting(_fallback_names(file.data["fallback"], str(file.path)), file.label)
    return Setting((), "default")


def resolve_compare_table(
    *, environ: Mapping[str, str] | None = None, config: ConfigFile | bool | None = True
) -> tuple[dict[str, Any], str]:
    """The raw ``[compare]`` settings, ``configure(compare=...)`` over the file, and their source.

    Validation is :mod:`visionkit.comparison`'s job; crosswalk tables merge key by key.
    """
    env = os.environ if environ is None else environ
    file = _file_or_none(config, env)
    table: dict[str, Any] = dict(file.data.get("compare", {})) if file is not None else {}
    sources = [f"{file.label} [compare]"] if table and file is not None else []
    with _lock:
        configured = dict(_configured.compare)
    if configured:
        file_crosswalk, own_crosswalk = table.get("crosswalk"), configured.get("crosswalk")
        table.update(configured)
        if isinstance(file_crosswalk, Mapping) and isinstance(own_crosswalk, Mapping):
            table["crosswalk"] = {**file_crosswalk, **own_crosswalk}
        sources.append("configure(compare=...)")
    return table, " and ".join(sources) or "defaults"


def resolve_images_tables(
    *, environ: Mapping[str, str] | None = None, config: ConfigFile | bool | None = True
) -> list[tuple[Mapping[str, Any], str]]:
    """``configure(images=...)`` then the file's ``[images]``; :mod:`visionkit.images` validates."""
    with _lock:
        configured = dict(_configured.images)
    file = _file_or_none(config, os.environ if environ is None else environ)
    table = file.data.get("images", {}) if file is not None else {}
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"[images] in {file.path if file else 'the config file'} must be a table."
        )
    label = f"{file.label} [images]" if file is not None else "config file"
    return [(configured, "configure(images=...)"), (table, label)]


_image_settings.use_configuration(resolve_images_tables)


def _file_or_none(config: ConfigFile | bool | None, env: Mapping[str, str]) -> ConfigFile | None:
    if config is True:
        found = find_config_file(environ=env)
        if found is not None:
            _check_file(found)
        return found
    if config is False:
        return None
    return config


def option_environment(backend: str, f: dataclasses.Field[Any]) -> tuple[str, ...]:
    """The variables that set option ``f`` of ``backend``, in the order they are tried.

    First the names the option declares (the vendor's own, such as
    ``AZURE_VISION_KEY``), then ``VISIONKIT_<BACKEND>_<OPTION>``, which every
    option of every backend has, so a plugin's options are settable too.
    """
    return (*option_env(f), f"VISIONKIT_{backend.upper()}_{f.name.upper()}")


def resolve_backend_options(
    backend: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: ConfigFile | bool | None = True,
) -> dict[str, Setting]:
    """Every option of ``backend`` with its value and source, defaults included."""
    from visionkit.backends.registry import get_backend_class

    env = os.environ if environ is None else environ
    cls = get_backend_class(backend)
    file = _file_or_none(config, env)
    with _lock:
        configured = dict(_configured.backends.get(backend, {}))
    file_table = file.data.get(backend, {}) if file is not None else {}
    arguments = arguments or {}
    known = {f.name for f in dataclasses.fields(cls.Options)}
    # Unknown names in any layer are reported by build_options with their source.
    resolved: dict[str, Setting] = {}
    for key in [*arguments, *configured, *file_table]:
        if key not in known and key not in resolved:
            source = (
                "argument"
                if key in arguments
                else "configure()"
                if key in configured
                else f"{file.label if file else 'config file'} [{backend}]"
            )
            resolved[key] = Setting(
                arguments.get(key, configured.get(key, file_table.get(key))), source
            )
    for f in dataclasses.fields(cls.Options):
        env_names = option_environment(backend, f)
        if f.name in arguments:
            resolved[f.name] = Setting(arguments[f.name], "argument")
        elif f.name in configured:
            resolved[f.name] = Setting(configured[f.name], "configure()")
        elif (name := next((n for n in env_names if env.get(n)), None)) is not None:
            resolved[f.name] = Setting(env[name], f"env {name}")
        elif f.name in file_table:
            label = file.label if file else "config file"
            resolved[f.name] = Setting(file_table[f.name], f"{label} [{backend}]")
        else:
            default = f.default if f.default is not dataclasses.MISSING else None
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            resolved[f.name] = Setting(default, "default")
    return resolved


def build_backend_options(backend: str, settings: Mapping[str, Setting]) -> Any:
    """Turn resolved settings into the backend's typed, validated ``Options``."""
    from visionkit.backends.registry import get_backend_class

    cls = get_backend_class(backend)
    given = {k: s.value for k, s in settings.items() if s.source != "default"}
    sources = {k: s.source for k, s in settings.items()}
    return build_options(cls.Options, given, backend=backend, sources=sources)


def describe_settings(backend: str, settings: Mapping[str, Setting]) -> list[tuple[str, str, str]]:
    """``(key, printable value, source)`` rows with secrets masked, for ``visionkit config``."""
    from visionkit.backends.registry import get_backend_class

    fields_by_name = {f.name: f for f in dataclasses.fields(get_backend_class(backend).Options)}
    rows = []
    for key, setting in settings.items():
        f = fields_by_name.get(key)
        secret = f is not None and is_secret(f)
        if setting.value is None:
            shown = "(not set)"
        elif secret:
            shown = "********** (set)"
        else:
            shown = str(setting.value)
        rows.append((key, shown, setting.source))
    return rows


__all__ = [
    "DEFAULT_BACKEND",
    "ENV_BACKEND",
    "ENV_CONFIG",
    "ENV_FALLBACK",
    "ConfigFile",
    "Setting",
    "build_backend_options",
    "configure",
    "describe_settings",
    "find_config_file",
    "reset_configuration",
    "resolve_backend_name",
    "resolve_backend_options",
    "resolve_compare_table",
    "resolve_fallback",
]
