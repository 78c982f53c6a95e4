"""Import stage 2b: names for tools, types, errors and input properties.

Every rule here looks at a set of names, never at a sequence: the same API gives the same
names whatever order its document lists paths and schemas in. A clash is resolved by a suffix
computed from each party's own identity (a hash of its method and path, or of its pointer), so
no party "wins" because it came first, and a name does not move when an unrelated one appears.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mcpgen.names import to_class_name, words

DEFAULT_MAX_NAME_LENGTH = 48
_HASH = 6


def digest(text: str, length: int = _HASH) -> str:
    """A short, stable hex hash of `text`."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def snake(text: str, fallback: str) -> str:
    """snake_case words of any spelling; `fallback` when no word survives (all symbols)."""
    parts = words(text)
    return "_".join(parts) if parts else fallback


def fit(name: str, budget: int, separator: str = "_") -> str:
    """`name` cut to `budget` characters: a readable head and a hash of the whole name."""
    if len(name) <= budget:
        return name
    head = name[: budget - _HASH - len(separator)].rstrip("_.-")
    return f"{head}{separator}{digest(name)}"


@dataclass(frozen=True)
class NamedOperation:
    """An operation's identity for naming: its `METHOD /path` and its operationId."""

    route: str  # "GET /pets/{petId}": unique within a document
    operation_id: str | None


@dataclass(frozen=True)
class ToolNames:
    names: dict[str, str]  # route -> tool name
    collisions: list[str]  # one line per clash, for the report


def tool_names(operations: Iterable[NamedOperation], budget: int) -> ToolNames:
    """A valid, unique tool name per operation (keyed by route).

    The name is the operationId (else method and path) in snake_case, fitted into `budget`.
    Operations whose names clash all get a suffix hashed from their own route.
    """
    wanted: dict[str, str] = {}
    for op in operations:
        source = op.operation_id or op.route
        wanted[op.route] = fit(snake(source, f"operation_{digest(op.route)}"), budget)
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for route, name in wanted.items():
        groups[name].append(route)
    names: dict[str, str] = {}
    collisions: list[str] = []
    for name, routes in sorted(groups.items()):
        if len(routes) == 1:
            names[routes[0]] = name
            continue
        renamed = []
        for route in sorted(routes):
            suffix = digest(route)
            head = name[: budget - _HASH - 1].rstrip("_.-")
            names[route] = f"{head}_{suffix}"
            renamed.append(f"{route} -> {names[route]}")
        collisions.append(f"{name!r} is wanted by {len(routes)} operations: " + ", ".join(renamed))
    return ToolNames(names, collisions)


def class_name(text: str) -> str:
    """The PascalCase name mcpgen's resolver derives for a type or error, at its fixed point.

    A spec type named this way has the same class name in the generated code.
    """
    name = str(to_class_name(text, prefix="Type"))
    for _ in range(4):
        again = str(to_class_name(name, prefix="Type"))
        if again == name:
            break
        name = again
    return name


@dataclass(frozen=True)
class Candidate:
    """Something that needs a class-like name: its identity, the name it wants, and whether it
    is the canonical owner of that name (a root component schema named exactly so)."""

    identity: str
    wanted: str
    preferred: bool = False
    label: str = ""  # how a collision note shows it (default: its identity)


def class_names(
    candidates: Iterable[Candidate], taken: Mapping[str, str], clash_suffix: str
) -> tuple[dict[str, str], list[str]]:
    """Unique PascalCase names, none of them in `taken` (class name -> who took it).

    Clashing candidates all get a number hashed from their identity, except a single preferred
    one (a component named exactly so), which keeps the plain name. A name already `taken`
    (a tool's input model, a type) gets `clash_suffix` first.
    """
    candidates = list(candidates)
    wanted: dict[str, str] = {}
    for candidate in candidates:
        name = class_name(candidate.wanted)
        if name in taken:
            name = class_name(name + clash_suffix)
        wanted[candidate.identity] = name
    labels = {c.identity: c.label or c.identity for c in candidates}
    preferred = {c.identity for c in candidates if c.preferred and class_name(c.wanted) == c.wanted}
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for identity, name in wanted.items():
        groups[name].append(identity)
    result: dict[str, str] = {}
    notes: list[str] = []
    for name, identities in sorted(groups.items()):
        keepers = [i for i in identities if i in preferred]
        keeper = keepers[0] if len(identities) > 1 and len(keepers) == 1 else None
        if len(identities) == 1:
            keeper = identities[0]
        for identity in sorted(identities):
            if identity == keeper:
                result[identity] = name
            else:
                result[identity] = class_name(f"{name}{_number(identity)}")
        if len(identities) > 1:
            shown = ", ".join(f"{labels[i]} -> {result[i]}" for i in sorted(identities))
            notes.append(f"{name!r} is wanted by {len(identities)}: {shown}")
    final = list(result.values())
    if len(set(final)) != len(final) or set(final) & set(taken):
        # Two numbered names met (or one met a taken name): lengthen every number.
        for identity, name in list(result.items()):
            if final.count(name) > 1 or name in taken:
                result[identity] = class_name(f"{wanted[identity]}{_number(identity, 10)}")
    return result, notes


def _number(identity: str, digits: int = 4) -> str:
    """Digits from a hash (digits survive PascalCase conversion unchanged)."""
    return str(int(digest(identity, 12), 16) % 10**digits).zfill(digits)


_PROPERTY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def property_name(wire: str) -> str:
    """An input property name clients accept for a wire name (Anthropic's API, for one, takes
    only ^[A-Za-z0-9_.-]{1,64}$ as property keys)."""
    if _PROPERTY.fullmatch(wire):
        return wire
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", wire).strip("_") or f"param_{digest(wire)}"
    return fit(cleaned, 64)
