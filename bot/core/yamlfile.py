"""YAML for rule files, with the line of every value kept so that errors say `path:line`.

`load_yaml(text, source)` is pure: reading the file is the caller's business. Mappings come back
as `LDict`, lists as `LList`, strings as `LStr`; each has `.line` (1-based).
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.errors import RuleFileError


class LStr(str):
    line: int = 0


class LDict(dict[str, Any]):
    line: int = 0


class LList(list[Any]):
    line: int = 0


# libyaml's parser when PyYAML was built with it (the wheels are), the pure-Python one
# otherwise: the same nodes and marks, and the rule files parse about three times faster.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    pass


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> LStr:
    value = LStr(loader.construct_scalar(node))
    value.line = node.start_mark.line + 1
    return value


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LDict:
    out = LDict()
    out.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, not {key!r}", key_node.start_mark
            )
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LList:
    out = LList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def line_of(value: Any, default: int = 0) -> int:
    return int(getattr(value, "line", default) or default)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes RuleFileError(source, line, reason)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = exc.problem or exc.context or "invalid YAML"
        raise RuleFileError(source, line, f"YAML: {reason}") from exc
    except yaml.YAMLError as exc:
        raise RuleFileError(source, 0, f"YAML: {exc}") from exc


def read_yaml(path: Any) -> Any:
    """Read and parse a rule file; unreadable or non-UTF-8 files are RuleFileErrors too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(path), 0, f"cannot read: {exc}") from exc
    return load_yaml(text, str(path))
