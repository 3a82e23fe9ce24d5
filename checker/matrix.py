"""matrix.yaml: schema, validation with file:line, and expansion into cells.

Expansion follows GitHub Actions' matrix semantics, which users already know:
the axes' cartesian product, then `exclude` (an entry removes every combination that matches all of its
keys), then `include` (an entry extends every combination whose original axis values it does not
contradict; an entry that extends none becomes a combination of its own; values added by an include may
be overwritten by a later include, original axis values never).

The cell's fields come from `defaults` overlaid with `cell`; `{var}` in any string is replaced with the
combination's value of `var` (`{{` and `}}` for literal braces).
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import MatrixError
from checker.results import Status
from checker.yamlload import Located, Path_, load_yaml

SCHEMA_VERSION = 1
MAX_COMBINATIONS = 2_000
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_OPENCV = "opencv-contrib-python-headless"

TOP_KEYS = ("schema_version", "name", "settings", "defaults", "axes", "include", "exclude", "cell")
SETTINGS_KEYS = ("ca_bundle", "debian_mirror")
CELL_KEYS = ("name", "image", "build", "probe_layer", "gpus", "timeout", "expect", "env", "network", "python")
BUILD_KEYS = ("dockerfile", "base", "args")
PROBE_LAYER_KEYS = ("enabled", "opencv", "opencv_version")
DEBOOTSTRAP_PREFIX = "debootstrap:"

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*)\}|[{}]")
_TIMEOUT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")
_GPU_ID = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True, kw_only=True)
class BuildSpec:
    """Build an image from a Dockerfile over a base (an image reference, or `debootstrap:<suite>`)."""

    dockerfile: Path
    base: str | None = None
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ProbeLayer:
    """The layer that makes any Debian/Ubuntu image probe-able: Python 3, numpy, an OpenCV wheel."""

    enabled: bool = True
    opencv: str = DEFAULT_OPENCV
    opencv_version: str = ""


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One matrix cell: an image, how to get it, and how to run the probe in it."""

    name: str
    coordinates: dict[str, Any]
    image: str | None = None
    build: BuildSpec | None = None
    probe_layer: ProbeLayer = ProbeLayer()
    gpus: str = "auto"
    timeout_s: float = DEFAULT_TIMEOUT_S
    expect: dict[str, Status] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    network: bool = False
    python: str = "python3"
    line: int | None = None

    @property
    def image_label(self) -> str:
        """What the user asked for: the pulled reference, or the Dockerfile and its base."""
        if self.build is not None:
            base = f" over {self.build.base}" if self.build.base else ""
            return f"{self.build.dockerfile.name}{base}"
        return self.image or ""

    @property
    def source(self) -> str:
        """A short description of where the image comes from, for listings."""
        return f"{'build' if self.build is not None else 'pull'} {self.image_label}"


@dataclass(frozen=True, kw_only=True)
class Settings:
    ca_bundle: Path | None = None
    debian_mirror: str | None = None


@dataclass(frozen=True, kw_only=True)
class Matrix:
    path: Path
    name: str
    settings: Settings
    _cells: tuple[Cell, ...]

    def cells(self) -> list[Cell]:
        return list(self._cells)

    def select(self, patterns: list[str]) -> list[Cell]:
        """Cells whose name matches any pattern (a glob, or a plain substring)."""
        if not patterns:
            return self.cells()
        chosen = [c for c in self._cells if any(_name_matches(c.name, p) for p in patterns)]
        if not chosen:
            names = ", ".join(c.name for c in self._cells)
            raise MatrixError(
                f"--only {' '.join(patterns)!s} matches no cell; the cells are: {names}", path=str(self.path)
            )
        return chosen


def _name_matches(name: str, pattern: str) -> bool:
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def load(path: str | Path) -> Matrix:
    """Read, validate and expand a matrix file. Raises MatrixError naming the file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MatrixError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise MatrixError("is a directory, not a matrix file", path=str(path)) from None
    except UnicodeDecodeError:
        raise MatrixError("not a text file (it is not valid UTF-8)", path=str(path)) from None
    except OSError as exc:
        raise MatrixError(f"cannot be read: {exc.strerror}", path=str(path)) from None
    return loads(text, path=path)


def loads(text: str, *, path: str | Path = "<matrix>") -> Matrix:
    """Validate and expand matrix text; `path` names it in messages and anchors relative paths."""
    path = Path(path)
    doc = load_yaml(text, str(path))
    return _Parser(doc, path).parse()


class _Parser:
    def __init__(self, doc: Located, path: Path) -> None:
        self.doc = doc
        self.path = path
        self.base_dir = path.parent

    def err(self, message: str, at: Path_, key: str | None = None) -> MatrixError:
        return self.doc.error(message, at, key)

    # -- structure -------------------------------------------------------------------------------

    def parse(self) -> Matrix:
        root = self.doc.data
        if not isinstance(root, dict):
            raise self.err(f"the top level must be a mapping of keys, not {_kind(root)}", ())
        self.check_keys(root, TOP_KEYS, (), "top level")
        self.check_schema_version(root)
        name = str(root.get("name") or self.path.stem)
        settings = self.parse_settings(root.get("settings"))
        defaults = self.mapping(root.get("defaults", {}), ("defaults",))
        template = self.mapping(root.get("cell", {}), ("cell",))
        for section, value in (("defaults", defaults), ("cell", template)):
            self.check_cell_fields(value, (section,))
        combos = self.combinations(root)
        if not combos:
            raise self.err("the matrix expands to no cell (every combination excluded, or no axes and no include)", ())
        cells = [self.make_cell(defaults, template, combo, line) for combo, line in combos]
        self.check_unique_names(cells)
        return Matrix(path=self.path, name=name, settings=settings, _cells=tuple(cells))

    def check_keys(self, mapping: dict[str, Any], allowed: tuple[str, ...], at: Path_, where: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
                raise self.err(f"unknown key {key!r} in {where}{hint}", (*at, key), key)

    def check_schema_version(self, root: dict[str, Any]) -> None:
        if "schema_version" not in root:
            raise self.err(
                f"missing `schema_version`; add `schema_version: {SCHEMA_VERSION}` at the top",
                (),
                "schema_version",
            )
        version = root["schema_version"]
        if version != SCHEMA_VERSION:
            raise self.err(
                f"schema_version {version!r} is not supported; this checker reads version {SCHEMA_VERSION}",
                ("schema_version",),
                "schema_version",
            )

    def mapping(self, value: Any, at: Path_) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.err(f"`{_dotted(at)}` must be a mapping, not {_kind(value)}", at, str(at[-1]))
        return value

    def parse_settings(self, value: Any) -> Settings:
        settings = self.mapping(value, ("settings",))
        self.check_keys(settings, SETTINGS_KEYS, ("settings",), "settings")
        bundle = settings.get("ca_bundle")
        mirror = settings.get("debian_mirror")
        for key, val in (("ca_bundle", bundle), ("debian_mirror", mirror)):
            if val is not None and not isinstance(val, str):
                raise self.err(f"`settings.{key}` must be a string", ("settings", key), key)
        return Settings(
            ca_bundle=(self.base_dir / bundle) if bundle else None,
            debian_mirror=mirror or None,
        )

    def check_cell_fields(self, fields: dict[str, Any], at: Path_) -> None:
        self.check_keys(fields, CELL_KEYS, at, _dotted(at))
        for key, allowed in (("build", BUILD_KEYS), ("probe_layer", PROBE_LAYER_KEYS)):
            if key in fields and not isinstance(fields[key], bool):
                self.check_keys(self.mapping(fields[key], (*at, key)), allowed, (*at, key), f"{_dotted(at)}.{key}")

    # -- expansion -------------------------------------------------------------------------------

    def combinations(self, root: dict[str, Any]) -> list[tuple[dict[str, Any], int | None]]:
        axes = self.mapping(root.get("axes", {}), ("axes",))
        for key, values in axes.items():
            if not isinstance(values, list) or not values:
                raise self.err(f"axis {key!r} must be a non-empty list of values", ("axes", key), key)
            for i, val in enumerate(values):
                if isinstance(val, (dict, list)) or val is None:
                    raise self.err(f"axis {key!r}: values must be scalars", ("axes", key, i), key)
        total = 1
        for values in axes.values():
            total *= len(values)
        if total > MAX_COMBINATIONS:
            raise self.err(f"the axes multiply to {total} combinations (limit {MAX_COMBINATIONS})", ("axes",))
        names = list(axes)
        combos: list[tuple[dict[str, Any], int | None]] = []
        if names:
            line = self.doc.line(("axes",))
            for values in itertools.product(*(axes[n] for n in names)):
                combos.append((dict(zip(names, values, strict=True)), line))
        combos = [c for c in combos if not self.excluded(c[0], root)]
        combos = self.apply_includes(combos, set(names), root)
        if not names and not combos:
            combos = [({}, self.doc.line(("cell",)))]  # no axes, no include: the one cell of the template
        return combos

    def entries(self, root: dict[str, Any], key: str) -> list[tuple[dict[str, Any], Path_]]:
        value = root.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.err(f"`{key}` must be a list of mappings", (key,), key)
        out: list[tuple[dict[str, Any], Path_]] = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict) or not entry:
                raise self.err(f"`{key}[{i}]` must be a non-empty mapping of axis values", (key, i), key)
            for name, val in entry.items():
                if isinstance(val, (dict, list)):
                    raise self.err(f"`{key}[{i}].{name}` must be a scalar", (key, i, name), name)
            out.append((entry, (key, i)))
        return out

    def excluded(self, combo: dict[str, Any], root: dict[str, Any]) -> bool:
        axes = root.get("axes") or {}
        for entry, at in self.entries(root, "exclude"):
            for name in entry:
                if name not in axes:
                    close = difflib.get_close_matches(name, list(axes), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise self.err(f"exclude names {name!r}, which is not an axis{hint}", (*at, name), name)
            if all(_same(combo.get(k), v) for k, v in entry.items()):
                return True
        return False

    def apply_includes(
        self, combos: list[tuple[dict[str, Any], int | None]], axis_names: set[str], root: dict[str, Any]
    ) -> list[tuple[dict[str, Any], int | None]]:
        # Includes extend only the combinations of the product; one that extends none stands alone.
        originals = [dict(c) for c, _ in combos]
        extended = [(dict(c), line) for c, line in combos]
        standalone: list[tuple[dict[str, Any], int | None]] = []
        for entry, at in self.entries(root, "include"):
            matched = False
            for original, (combo, _line) in zip(originals, extended, strict=True):
                if all(_same(original.get(k), v) for k, v in entry.items() if k in axis_names):
                    matched = True
                    combo.update({k: v for k, v in entry.items() if k not in axis_names})
            if not matched:
                standalone.append((dict(entry), self.doc.line(at)))
        return extended + standalone

    # -- cells -----------------------------------------------------------------------------------

    def make_cell(
        self, defaults: dict[str, Any], template: dict[str, Any], combo: dict[str, Any], line: int | None
    ) -> Cell:
        fields = _overlay(defaults, template)
        sources = {k: ("cell" if k in template else "defaults") for k in fields}
        values: dict[str, Any] = {}
        for key, raw in fields.items():
            values[key] = self.substitute(raw, combo, (sources[key], key))
        name = str(values.get("name") or _default_name(combo, values))
        where = f"cell {name!r}"
        image, build = self.image_source(values, where, sources)
        return Cell(
            name=name,
            coordinates=dict(combo),
            image=image,
            build=build,
            probe_layer=self.probe_layer(values.get("probe_layer"), sources),
            gpus=self.gpus(values.get("gpus", "auto"), where, sources),
            timeout_s=self.timeout(values.get("timeout", DEFAULT_TIMEOUT_S), where, sources),
            expect=self.expect(values.get("expect"), where, sources),
            env=self.string_map(values.get("env"), "env", sources),
            network=self.boolean(values.get("network", False), "network", sources),
            python=str(values.get("python", "python3")),
            line=line,
        )

    def substitute(self, raw: Any, combo: dict[str, Any], at: Path_) -> Any:
        if isinstance(raw, str):
            return self.fill(raw, combo, at)
        if isinstance(raw, dict):
            return {k: self.substitute(v, combo, (*at, k)) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.substitute(v, combo, (*at, i)) for i, v in enumerate(raw)]
        return raw

    def fill(self, text: str, combo: dict[str, Any], at: Path_) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            var = match.group(1)
            if var is None:
                raise self.err(f"unbalanced brace in {text!r}; write {{{{ or }}}} for a literal brace", at, str(at[-1]))
            if var not in combo:
                known = ", ".join(sorted(combo)) or "none"
                close = difflib.get_close_matches(var, list(combo), n=1)
                hint = f"; did you mean {{{close[0]}}}?" if close else f" (variables here: {known})"
                raise self.err(f"{{{var}}} is not a matrix variable of this cell{hint}", at, str(at[-1]))
            return _text(combo[var])

        return _PLACEHOLDER.sub(replace, text)

    def image_source(
        self, values: dict[str, Any], where: str, sources: dict[str, str]
    ) -> tuple[str | None, BuildSpec | None]:
        image, build = values.get("image"), values.get("build")
        if image and build:
            raise self.err(
                f"{where}: give either `image` (pull) or `build`, not both",
                (sources["build"], "build"),
                "build",
            )
        if not image and not build:
            raise self.err(f"{where}: needs an `image` to pull or a `build`", ("cell",), "image")
        if image:
            if not isinstance(image, str):
                raise self.err(f"{where}: `image` must be a string", (sources["image"], "image"), "image")
            return image, None
        at = (sources["build"], "build")
        if not isinstance(build, dict):
            raise self.err(f"{where}: `build` must be a mapping with `dockerfile`", at, "build")
        dockerfile = build.get("dockerfile")
        if not isinstance(dockerfile, str) or not dockerfile:
            raise self.err(f"{where}: `build.dockerfile` is required (a path to a Dockerfile)", at, "dockerfile")
        base = build.get("base")
        if base is not None and not isinstance(base, str):
            raise self.err(f"{where}: `build.base` must be an image reference string", at, "base")
        if base and base.startswith(DEBOOTSTRAP_PREFIX) and not base[len(DEBOOTSTRAP_PREFIX) :].isalnum():
            raise self.err(f"{where}: `{base}` must name a Debian suite, e.g. debootstrap:bookworm", at, "base")
        args = self.string_map(build.get("args"), "build", sources, sub="args")
        return None, BuildSpec(dockerfile=self.base_dir / dockerfile, base=base or None, args=args)

    def probe_layer(self, value: Any, sources: dict[str, str]) -> ProbeLayer:
        if value is None:
            return ProbeLayer()
        at = (sources.get("probe_layer", "cell"), "probe_layer")
        if isinstance(value, bool):
            return ProbeLayer(enabled=value)
        if not isinstance(value, dict):
            raise self.err("`probe_layer` must be true, false or a mapping", at, "probe_layer")
        return ProbeLayer(
            enabled=self.boolean(value.get("enabled", True), "probe_layer", sources),
            opencv=str(value.get("opencv", DEFAULT_OPENCV) or ""),
            opencv_version=_text(value.get("opencv_version") or ""),
        )

    def gpus(self, value: Any, where: str, sources: dict[str, str]) -> str:
        at = (sources.get("gpus", "cell"), "gpus")
        if isinstance(value, list):
            ids = [_text(v) for v in value]
        elif isinstance(value, int) and not isinstance(value, bool):
            ids = [str(value)]
        elif isinstance(value, str) and value in ("all", "none", "auto"):
            return value
        elif isinstance(value, str) and value.startswith("device="):
            ids = [v.strip() for v in value[len("device=") :].split(",")]
        else:
            raise self.err(
                f"{where}: `gpus` must be all, none, auto, device=0,1 or a list of device ids; got {value!r}",
                at,
                "gpus",
            )
        if not ids or not all(_GPU_ID.match(i) for i in ids):
            raise self.err(f"{where}: `gpus` device ids must be indexes or UUIDs; got {value!r}", at, "gpus")
        return "device=" + ",".join(ids)

    def timeout(self, value: Any, where: str, sources: dict[str, str]) -> float:
        at = (sources.get("timeout", "cell"), "timeout")
        match = _TIMEOUT.match(str(value)) if not isinstance(value, bool) else None
        if not match:
            raise self.err(
                f"{where}: `timeout` must be seconds or a duration like 90s, 5m; got {value!r}", at, "timeout"
            )
        seconds = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
        if seconds <= 0:
            raise self.err(f"{where}: `timeout` must be positive", at, "timeout")
        return seconds

    def expect(self, value: Any, where: str, sources: dict[str, str]) -> dict[str, Status]:
        if value is None:
            return {}
        at = (sources.get("expect", "cell"), "expect")
        if not isinstance(value, dict):
            raise self.err(f"{where}: `expect` maps check ids to pass/fail/skip/error", at, "expect")
        allowed = [s.value for s in Status]
        result = {}
        for check_id, status in value.items():
            if status not in allowed:
                raise self.err(
                    f"{where}: expect.{check_id} must be one of {', '.join(allowed)}; got {status!r}",
                    (*at, check_id),
                    check_id,
                )
            result[check_id] = Status(status)
        return result

    def string_map(self, value: Any, key: str, sources: dict[str, str], sub: str | None = None) -> dict[str, str]:
        if value is None:
            return {}
        at: Path_ = (sources.get(key, "cell"), key, *((sub,) if sub else ()))
        if not isinstance(value, dict):
            raise self.err(f"`{_dotted(at[1:])}` must be a mapping of names to strings", at, sub or key)
        for name, val in value.items():
            if isinstance(val, (dict, list)) or val is None:
                raise self.err(f"`{_dotted(at[1:])}.{name}` must be a string", (*at, name), name)
        return {name: _text(val) for name, val in value.items()}

    def boolean(self, value: Any, key: str, sources: dict[str, str]) -> bool:
        if not isinstance(value, bool):
            raise self.err(f"`{key}` must be true or false; got {value!r}", (sources.get(key, "cell"), key), key)
        return value

    def check_unique_names(self, cells: list[Cell]) -> None:
        seen: dict[str, Cell] = {}
        name_line = self.doc.lines.get(("cell", "name")) or self.doc.lines.get(("defaults", "name"))
        for cell in cells:
            if cell.name in seen:
                raise MatrixError(
                    f"two cells are both named {cell.name!r}; give `cell.name` a template that tells them "
                    f'apart, e.g. name: "cuda{{cuda}}-{{os}}"',
                    path=str(self.path),
                    line=name_line or cell.line,
                    key="name",
                )
            seen[cell.name] = cell


def _overlay(defaults: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """`cell` over `defaults`; nested mappings (build, env, expect, probe_layer) merge key by key."""
    merged = dict(defaults)
    for key, value in template.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def _default_name(combo: dict[str, Any], values: dict[str, Any]) -> str:
    if combo:
        return "-".join(_text(v) for v in combo.values())
    return str(values.get("image") or "cell")


def _same(a: Any, b: Any) -> bool:
    return a is not None and _text(a) == _text(b)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def _dotted(at: Path_) -> str:
    return ".".join(str(p) for p in at)
