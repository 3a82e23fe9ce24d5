"""Safe YAML loading that remembers where every value came from.

Why not `yaml.safe_load`: error messages must name the file and line of the offending key, and a
hostile file (a "billion laughs" alias bomb, a deep nest, a `!!python/object` tag) must produce a clear
`MatrixError`, never a hang, a traceback or executed code. We compose the node graph with PyYAML's safe
loader (which constructs nothing) and convert it ourselves, counting nodes as aliases expand.

Floats keep their source text: `cuda: 12.10` must stay "12.10", not become the number 12.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from checker.errors import MatrixError

MAX_FILE_BYTES = 1 << 20
MAX_NODES = 100_000
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass
class Located:
    """A loaded document plus the 1-based line of every value (keyed by its path from the root)."""

    data: Any
    path: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, at: Path_) -> int | None:
        """The line of `at`, or of its nearest ancestor that has one."""
        while True:
            if at in self.lines:
                return self.lines[at]
            if not at:
                return None
            at = at[:-1]

    def error(self, message: str, at: Path_, key: str | None = None) -> MatrixError:
        return MatrixError(message, path=self.path, line=self.line(at), key=key)


def load_yaml(text: str, path: str) -> Located:
    """Parse `text` (from `path`) into plain Python values with line numbers; raise MatrixError."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise MatrixError(f"file is larger than {MAX_FILE_BYTES} bytes; is it really a matrix?", path=path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise MatrixError(f"not valid YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise MatrixError(f"not valid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    if node is None:
        raise MatrixError("the file is empty; a matrix needs at least `schema_version` and a cell", path=path)
    located = Located(data=None, path=path)
    counter = [0]
    located.data = _convert(node, (), located, counter, 0)
    return located


def _convert(node: yaml.Node, at: Path_, located: Located, counter: list[int], depth: int) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise located.error(f"the document expands to more than {MAX_NODES} values (aliases that multiply?)", at)
    if depth > MAX_DEPTH:
        raise located.error(f"nesting deeper than {MAX_DEPTH} levels (a recursive alias?)", at)
    located.lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, at, located)
    if isinstance(node, yaml.SequenceNode):
        _require_plain_tag(node, "tag:yaml.org,2002:seq", at, located)
        return [_convert(item, (*at, i), located, counter, depth + 1) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        _require_plain_tag(node, "tag:yaml.org,2002:map", at, located)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise located.error("mapping keys must be plain strings", at)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise MatrixError(
                    "YAML merge keys (<<) are not supported; repeat the keys or use `defaults`",
                    path=located.path,
                    line=key_node.start_mark.line + 1,
                )
            key = str(key_node.value)
            child = (*at, key)
            if key in result:
                raise MatrixError(
                    f"key {key!r} appears twice",
                    path=located.path,
                    line=key_node.start_mark.line + 1,
                    key=key,
                )
            located.lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, child, located, counter, depth + 1)
        return result
    raise located.error("unsupported YAML node", at)  # pragma: no cover - PyYAML has only three kinds


def _require_plain_tag(node: yaml.Node, tag: str, at: Path_, located: Located) -> None:
    if node.tag != tag:
        raise located.error(f"YAML tag {node.tag!r} is not allowed in a matrix", at)


def _scalar(node: yaml.ScalarNode, at: Path_, located: Located) -> Any:
    if node.tag not in _SCALAR_TAGS:
        raise located.error(f"YAML tag {node.tag!r} is not allowed in a matrix", at)
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    if node.tag == "tag:yaml.org,2002:float":
        return node.value  # keep "12.10" as written
    try:
        return yaml.constructor.SafeConstructor().construct_object(node)
    except yaml.YAMLError as exc:  # pragma: no cover - resolver and constructor agree on plain tags
        raise located.error(f"bad value: {exc}", at) from None
