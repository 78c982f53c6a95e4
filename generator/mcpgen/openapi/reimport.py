"""Import stage 3: update a curated spec from a new import without losing the curation.

Three versions meet: the base (what the last import wrote, kept beside the spec as
`<stem>.openapi-base.json`), the current spec (the base plus the user's edits), and the new
import. Each field is merged on its own:
- unchanged by the user (current == base): the new import's value is taken;
- changed by the user only: the user's value stays;
- changed by both, differently: the user's value stays and a conflict is reported
  (tables are merged key by key first, so only the clashing leaves conflict).
Tools are matched by their operation (operationId, else method and path), so a renamed tool is
still the same tool (and so is one whose operationId the API renamed at the same method and
path, or whose binding the user edited under the same name); a tool the user deleted stays
deleted; tools the user wrote by hand (no `http` binding) are kept as they are. Types and
errors the user renamed are found by content (and, where two match, by what referred to
them) and followed; the report says what became of one the API removed. The merged spec
never refers to a type or error it lacks: such a table is put back. Names the import gives
the API's tools and tables to keep them clear of the user's are the import's: the base
records them, so that they are never taken for the user's.

Without the base (deleted, or never committed) nobody can tell the user's edits from the API's
changes, and nothing is decided for the user: the merge runs against an empty base, so every
place where the spec and the API differ keeps the spec's value and is reported as a conflict
with the API's value, what only the API has is added (a new operation, or one the user had
deleted: the report says it cannot tell), and no rename is inferred.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from mcpgen.diagnostics import format_path
from mcpgen.openapi.document import pointer_text
from mcpgen.openapi.naming import digest
from mcpgen.pointers import unescape

BASE_FORMAT = 1
TYPE_REF = "#/types/"


class _Missing:
    """A key absent from one of the versions."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Conflict:
    """A place both the user and the API changed, differently: the user's value was kept."""

    path: str
    theirs: Any  # the API's value now; MISSING where the API removed it
    deleted: bool = False  # the user's "value" is that they deleted it


@dataclass
class MergeReport:
    """What a re-import did to the spec, for the summary."""

    without_base: bool = False  # then `conflicts` are differences nobody can attribute
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    tables_renamed: list[str] = field(default_factory=list)  # the user's, followed
    tables_gone: list[str] = field(default_factory=list)  # the user's, removed by the API
    tables_kept: list[str] = field(default_factory=list)  # put back: the spec refers to them
    # Operations the API renamed at the same method and path: old identity -> new identity.
    moved_operations: dict[str, str] = field(default_factory=dict)
    # Without the base: tools bound to an operation the API (as selected) lacks, kept.
    unbound: list[str] = field(default_factory=list)
    # The user's comments whose tool or table is gone ("line N: # text" of the spec as it was).
    comments_lost: list[str] = field(default_factory=list)


def tool_identity(tool: Any) -> str | None:
    """The operation a tool calls (how re-import recognises it), or None for a hand-written tool."""
    if not isinstance(tool, dict) or not isinstance(tool.get("http"), dict):
        return None
    binding = tool["http"]
    if isinstance(binding.get("operation_id"), str):
        return f"operation {binding['operation_id']}"
    return _route(tool)


def _route(tool: dict[str, Any]) -> str:
    """`METHOD /path` as the document writes it (`openapi_path` when the import split it)."""
    binding = tool.get("http", {})
    return f"{binding.get('method')} {binding.get('openapi_path') or binding.get('path')}"


def _keyed(tools: list[Any]) -> dict[str, dict[str, Any]]:
    """Tools by identity; an operationId used twice (an invalid document) falls back to route."""
    counts: dict[str, int] = {}
    for tool in tools:
        identity = tool_identity(tool)
        if identity is not None:
            counts[identity] = counts.get(identity, 0) + 1
    keyed: dict[str, dict[str, Any]] = {}
    for tool in tools:
        identity = tool_identity(tool)
        if identity is None:
            continue
        keyed[_route(tool) if counts[identity] > 1 else identity] = tool
    return keyed


def merge_specs(
    base: dict[str, Any] | None, current: dict[str, Any], new: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], MergeReport]:
    """The new import with the user's curation of `current` carried over; the new import as
    the next base records it (with the names it had to give the API's tables and tools to
    keep them clear of the user's names: those are the import's choices, not the user's); and
    the report.

    Without a base, nothing the user has is changed, what only the API has is added, and every
    other difference is reported (see the module's docstring).
    """
    report = MergeReport(without_base=base is None)
    if base is None:
        base = {}
    # The merged spec shares its values with `new` (and so with `imported`) and `current`:
    # the repairs below replace the tables they change, never change one in place.
    imported = new
    gone: list[tuple[str, str, str]] = []
    # Types first: an error's data may refer to them.
    for kind, section, renamed in (
        ("type", "types", _types_renamed),
        ("error", "errors", _errors_renamed),
    ):
        mine = _renames(base, current, kind)
        if not mine:
            continue
        theirs = _renames(base, new, kind)
        # Names a table the API's must make way for may not take: the API's own, and those
        # the user added.
        taken = {
            *_names(new),
            *(name for name in current.get(section, {}) if name not in base.get(section, {})),
        }
        followed, aside = _follow(kind, mine, theirs, new.get(section, {}), taken, report, gone)
        base, new = renamed(base, mine), renamed(new, {**followed, **aside})
        imported = renamed(imported, aside)
    merged: dict[str, Any] = {}
    for key in _union(new, current):
        path = (key,)
        if key == "openapi":
            # Built from the options this import ran with, which came from the spec or the CLI.
            merged[key] = new[key]
        elif key == "tools":
            merged[key], moved_aside = _merge_tools(
                base.get(key, []), current.get(key, []), new.get(key, []), report
            )
            imported = _tools_named(imported, moved_aside)
        else:
            value = _merge(
                base.get(key, MISSING),
                current.get(key, MISSING),
                new.get(key, MISSING),
                path,
                report,
            )
            if value is not MISSING:
                merged[key] = value
    _restore_referred(merged, current, new, report)
    report.tables_gone = [
        _gone(kind, old, yours, current, merged) for kind, old, yours in sorted(gone)
    ]
    return merged, imported, report


def _names(spec: dict[str, Any]) -> set[str]:
    """The names of a spec's types and errors (one namespace of classes)."""
    return {
        name
        for section in ("types", "errors")
        if isinstance(spec.get(section), dict)
        for name in spec[section]
    }


def _tools_named(spec: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """`spec` with the tools of the routes in `names` renamed."""
    if not names:
        return spec
    tools = [
        {**tool, "name": names[_route(tool)]} if _route(tool) in names else tool
        for tool in spec.get("tools", [])
    ]
    return {**spec, "tools": tools}


_SECTIONS = {"type": "types", "error": "errors"}


def _restore_referred(
    merged: dict[str, Any], current: dict[str, Any], new: dict[str, Any], report: MergeReport
) -> None:
    """Put back each type or error the merged spec refers to but lacks, so that it loads.

    A table the API removed that the user's kept edits still refer to stays as the spec had
    it; one the user deleted that the API's changes refer to comes back from the API.
    """
    while True:
        restored = False
        referred = _referred(merged)
        for kind, section in _SECTIONS.items():
            missing = sorted(referred[kind] - set(merged.get(section, {})))
            if not missing:
                continue
            # Where each is used from: the walk that knows places is slower, so only now.
            references = _references(merged, kind)
            for name in missing:
                users = sorted(
                    {_referrer(place, merged) for place, to in references.items() if to == name}
                )
                if name in current.get(section, {}):
                    value, how = current[section][name], "kept, though the API removed it"
                elif name in new.get(section, {}):
                    value, how = new[section][name], "back from the API, though you deleted it"
                else:
                    continue
                # A new table: the merged one may be the user's spec's own (kept as it was).
                merged[section] = {**merged.get(section, {}), name: value}
                restored = True
                report.tables_kept.append(f"{kind} {name}: {how} (used by {', '.join(users)})")
        if not restored:
            return


def _referred(spec: dict[str, Any]) -> dict[str, set[str]]:
    """The names of the types (by `$ref`) and the errors (by tools) `spec` refers to."""
    types: set[str] = set()
    stack: list[Any] = [spec]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            name = _referred_type(value.get("$ref"))
            if name is not None:
                types.add(name)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    errors: set[str] = set()
    for tool in spec.get("tools", []):
        http = tool.get("http") if isinstance(tool.get("http"), dict) else {}
        errors.update(str(name) for name in tool.get("errors") or [])
        errors.update(str(name) for name in (http.get("errors") or {}).values())
    return {"type": types, "error": errors}


def _referrer(place: tuple[Any, ...], spec: dict[str, Any]) -> str:
    """What a reference's place is part of: `tool x`, `type X` or `error X`."""
    if place[0] == "tools":
        for tool in spec.get("tools", []):
            if (tool_identity(tool) or f"tool {tool.get('name')}") == place[1]:
                return f"tool {tool.get('name')}"
    if place[0] in ("types", "errors") and len(place) > 1:
        return f"{place[0][:-1]} {place[1]}"
    return str(place[0])


def _renames(base: dict[str, Any], current: dict[str, Any], kind: str) -> dict[str, str]:
    """The `[types]` or `[errors]` (`kind`) renamed between the specs `base` and `current`:
    old name -> new name.

    A table gone from `current` (or changed there) and one added (or whose name the base's
    table of that name left by a rename, so that two names can swap) with the same content
    (read with the renames found so far: a type referring to another renamed type) are one
    renamed. Where several have that content, the places that referred to the old one and
    now refer to one of them decide, if they name only one. Only a match that is one to one
    counts; a table also edited in the same change is a deletion and an addition.
    """
    olds, news = base.get(_SECTIONS[kind]), current.get(_SECTIONS[kind])
    if not isinstance(olds, dict) or not isinstance(news, dict):
        return {}
    expected = _with_type_refs if kind == "type" else _as_is
    changed = {name for name in olds if name in news and news[name] != olds[name]}
    moved_references: dict[tuple[str, str], int] | None = None
    renames: dict[str, str] = {}
    while True:
        gone = [
            name
            for name in olds
            if name not in renames
            and (
                name not in news
                or (name in changed and news[name] != expected(olds[name], renames))
            )
        ]
        added = [
            name
            for name in news
            if (name not in olds or name in renames) and name not in renames.values()
        ]
        found: dict[str, str] = {}
        for old in gone:
            value = expected(olds[old], renames)
            matches = [name for name in added if news[name] == value]
            if len(matches) > 1:
                if moved_references is None:
                    moved_references = _moved_references(base, current, kind)
                matches = [name for name in matches if moved_references.get((old, name))]
            if len(matches) == 1:
                found[old] = matches[0]
        targets = list(found.values())
        found = {old: name for old, name in found.items() if targets.count(name) == 1}
        if not found:
            return renames
        renames.update(found)


def _moved_references(
    base: dict[str, Any], current: dict[str, Any], kind: str
) -> dict[tuple[str, str], int]:
    """How many places referred to one table in `base` and to another in `current`."""
    after = _references(current, kind)
    moved: dict[tuple[str, str], int] = {}
    for place, old in _references(base, kind).items():
        name = after.get(place)
        if name is not None and name != old:
            moved[(old, name)] = moved.get((old, name), 0) + 1
    return moved


def _follow(
    kind: str,
    mine: dict[str, str],
    theirs: dict[str, str],
    new: dict[str, Any],
    taken: set[str],
    report: MergeReport,
    gone: list[tuple[str, str, str]],
) -> tuple[dict[str, str], dict[str, str]]:
    """How to rename the new import's tables: to follow the user's renames `mine`, and to
    move the API's own tables out of the way of the names the user gave to others.

    A table the API still has takes the user's name; so does one the API renamed too
    (`theirs`, by content); one the API removed is `gone` (reported after the merge, with
    where its references went). A table of the API's that has a name the user gave to
    another takes a name of its own (`Label` -> `LabelApi`), the same on every import.
    """
    followed: dict[str, str] = {}
    for old, yours in sorted(mine.items()):
        if old in new:
            followed[old] = yours
            report.tables_renamed.append(f"{kind} {old} -> {yours}")
        elif old in theirs:
            followed[theirs[old]] = yours
            report.tables_renamed.append(
                f"{kind} {old} -> {yours} (followed; the API renamed {old} to {theirs[old]})"
            )
        else:
            gone.append((kind, old, yours))
    aside: dict[str, str] = {}
    taken = taken | set(mine.values())
    for old, yours in sorted(mine.items()):
        if yours in new and yours not in followed:
            stem, suffix = (yours[:-5], "Error") if yours.endswith("Error") else (yours, "")
            wanted = f"{stem}Api{suffix}"
            numbered = (f"{wanted}{n}" for n in itertools.count(2))
            free = next(name for name in itertools.chain([wanted], numbered) if name not in taken)
            taken.add(free)
            aside[yours] = free
            report.renamed.append(
                f"{kind} {yours} -> {free} (the API's; you gave its name to {old})"
            )
    return followed, aside


def _gone(kind: str, old: str, yours: str, current: dict[str, Any], merged: dict[str, Any]) -> str:
    """The report of a table the user renamed and the API removed: what became of it, and of
    the places that referred to it."""
    kept = yours in merged.get(_SECTIONS[kind], {})
    text = f"{kind} {old} -> {yours} (yours): the API no longer has {old}" + (
        f"; {yours} is kept" if kept else f", so {yours} is gone"
    )
    before = _references(current, kind)
    after = _references(merged, kind)
    # A place in a list of error names is no place to compare across versions.
    places = [p for p, name in before.items() if name == yours and not isinstance(p[-1], int)]
    moved = [p for p in places if after.get(p, yours) != yours]
    if moved:
        targets = ", ".join(sorted({after[p] for p in moved}))
        text += (
            f"; what referred to it now refers to {targets}"
            if len(moved) == len(places)
            else f"; {len(moved)} of the {len(places)} places that referred to it now refer "
            f"to {targets}"
        )
    return text


def _references(spec: dict[str, Any], kind: str) -> dict[tuple[Any, ...], str]:
    """Where `spec` refers to its types (`$ref`s) or errors (HTTP statuses), by a place that
    stays the same across versions of the spec (a tool by its operation), and to which."""
    found: dict[tuple[Any, ...], str] = {}
    stack: list[tuple[tuple[Any, ...], Any]] = []
    for key, value in spec.items():
        if key == "tools" and isinstance(value, list):
            for tool in value:
                if isinstance(tool, dict):
                    known_as = tool_identity(tool) or f"tool {tool.get('name')}"
                    stack.append((("tools", known_as), tool))
        else:
            stack.append(((key,), value))
    while stack:
        place, value = stack.pop()
        if isinstance(value, dict):
            referred = _referred_type(value.get("$ref"))
            if kind == "type" and referred is not None:
                found[place] = referred
            if (
                kind == "error"
                and place[-1:] == ("http",)
                and isinstance(value.get("errors"), dict)
            ):
                for status, name in value["errors"].items():
                    found[(*place, "errors", status)] = str(name)
            if kind == "error" and place[0] == "tools" and len(place) == 2:
                for index, name in enumerate(value.get("errors") or []):
                    found[(*place, "errors", index)] = str(name)
            stack.extend(((*place, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*place, i), v) for i, v in enumerate(value))
    return found


def _types_renamed(spec: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """`spec` with its types renamed, and every reference to them."""
    result: dict[str, Any] = _with_type_refs(spec, renames)
    types = result.get("types")
    if isinstance(types, dict):
        result["types"] = {renames.get(name, name): value for name, value in types.items()}
    return result


def _errors_renamed(spec: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """`spec` with its errors renamed, and the tools' lists and HTTP mappings of them."""
    result = dict(spec)
    if isinstance(result.get("errors"), dict):
        result["errors"] = {renames.get(k, k): v for k, v in result["errors"].items()}
    tools: list[Any] = []
    for tool in result.get("tools", []):
        if isinstance(tool, dict):
            tool = dict(tool)
            if isinstance(tool.get("errors"), list):
                tool["errors"] = [
                    renames.get(e, e) if isinstance(e, str) else e for e in tool["errors"]
                ]
            http = tool.get("http")
            if isinstance(http, dict) and isinstance(http.get("errors"), dict):
                tool["http"] = {
                    **http,
                    "errors": {
                        k: renames.get(v, v) if isinstance(v, str) else v
                        for k, v in http["errors"].items()
                    },
                }
        tools.append(tool)
    if "tools" in result:
        result["tools"] = tools
    return result


def _referred_type(ref: Any) -> str | None:
    """The type a `$ref` names, if it names one of the spec's `[types]`."""
    if not isinstance(ref, str) or not ref.startswith(TYPE_REF):
        return None
    return unescape(ref[len(TYPE_REF) :])


def _as_is(value: Any, _renames: dict[str, str]) -> Any:
    """An error as it reads after type renames: errors do not refer to each other."""
    return value


def _with_type_refs(value: Any, renames: dict[str, str]) -> Any:
    """A copy of `value` whose `$ref`s to renamed types use the new names."""
    if isinstance(value, dict):
        copy = {k: _with_type_refs(v, renames) for k, v in value.items()}
        name = _referred_type(copy.get("$ref"))
        if name is not None and name in renames:
            copy["$ref"] = pointer_text(("types", renames[name]))
        return copy
    if isinstance(value, list):
        return [_with_type_refs(v, renames) for v in value]
    return value


def _union(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    return [*first, *(k for k in second if k not in first)]


def _merge(
    base: Any, current: Any, new: Any, path: tuple[str | int, ...], report: MergeReport
) -> Any:
    if _same(current, base):
        if not _same(new, base):
            report.changed.append(format_path(path))
        return new
    if _same(new, base) or _same(current, new):
        if report.without_base and new is MISSING:
            report.conflicts.append(Conflict(format_path(path), new))
        return current
    if isinstance(current, dict) and isinstance(new, dict) and _divisible(path, report):
        base_dict = base if isinstance(base, dict) else {}
        merged: dict[str, Any] = {}
        for key in _union(new, current):
            value = _merge(
                base_dict.get(key, MISSING),
                current.get(key, MISSING),
                new.get(key, MISSING),
                (*path, key),
                report,
            )
            if value is not MISSING:
                merged[key] = value
        return merged
    report.conflicts.append(Conflict(format_path(path), new, deleted=current is MISSING))
    return current


def _divisible(path: tuple[str | int, ...], report: MergeReport) -> bool:
    """Whether two tables that differ are merged key by key.

    With a base, always: each key's change is known to be the user's or the API's. Without
    one, nothing says whose each key is, so merging a schema key by key would make one that
    neither wrote (the user's `$ref` beside the API's `oneOf`): only a spec's sections (a
    type, an error, a tool are then whole) and a tool's fields (its name, its input schema,
    its binding are each whole) are divided.
    """
    return not report.without_base or len(path) == 1 or (path[0] == "tools" and len(path) == 2)


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return bool(a == b) and type(a) is type(b)


def _merge_tools(
    base: list[Any], current: list[Any], new: list[Any], report: MergeReport
) -> tuple[list[Any], dict[str, str]]:
    """The merged tools, and the API's tools renamed out of the way of the user's names (by
    route)."""
    base_by, current_by, new_by = _keyed(base), _keyed(current), _keyed(new)
    # The API renamed an operation it still serves at the same method and path: the same tool.
    moved = _one_to_one(
        {identity: _route(tool) for identity, tool in base_by.items() if identity not in new_by},
        {identity: _route(tool) for identity, tool in new_by.items() if identity not in base_by},
    )
    for old, identity in sorted(moved.items()):
        report.moved_operations[old] = identity
        report.renamed.append(f"{old} -> {identity} (the API renamed it; its tool follows)")
    # The user edited a tool's binding (its operationId, method or path) and kept its name.
    rebound = _one_to_one(
        {
            identity: tool.get("name")
            for identity, tool in base_by.items()
            if identity not in current_by
        },
        {
            identity: tool.get("name")
            for identity, tool in current_by.items()
            if identity not in base_by
        },
    )
    back = {identity: old for old, identity in moved.items()}
    new_by = {back.get(identity, identity): tool for identity, tool in new_by.items()}
    back = {identity: old for old, identity in rebound.items()}
    current_by = {back.get(identity, identity): tool for identity, tool in current_by.items()}
    merged: list[dict[str, Any]] = []
    from_user: set[int] = set()
    for identity, new_tool in new_by.items():
        current_tool = current_by.get(identity)
        base_tool = base_by.get(identity, MISSING)
        if current_tool is None:
            if base_tool is MISSING:
                report.added.append(new_tool["name"])
                merged.append(new_tool)
            else:
                report.kept_removed.append(f"{base_tool['name']} ({identity})")
            continue
        label = current_tool.get("name", identity)
        tool = _merge(base_tool, current_tool, new_tool, ("tools", label), report)
        if tool.get("name") == current_tool.get("name") and current_tool.get("name") != (
            base_tool.get("name") if base_tool is not MISSING else new_tool["name"]
        ):
            from_user.add(len(merged))
        merged.append(tool)
    identities = {id(tool): identity for identity, tool in current_by.items()}
    for tool in current:
        own = identities.get(id(tool))
        if own is None or own not in base_by:
            if own is None or own not in new_by:
                # Written by hand (or added by hand for an operation the import does not make).
                merged.append(tool)
                from_user.add(len(merged) - 1)
                if own is not None and report.without_base:
                    report.unbound.append(f"{tool.get('name')} ({own})")
            continue
        if own not in new_by:
            edited = " (it had your edits)" if tool != base_by[own] else ""
            report.removed.append(f"{tool.get('name')} ({own}){edited}")
    return merged, _rename_clashes(merged, from_user, report)


def _one_to_one(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, str]:
    """Old keys -> new keys whose values match, where exactly one of each side has the value."""
    by_value: dict[Any, list[str]] = {}
    for key, value in news.items():
        by_value.setdefault(value, []).append(key)
    counts: dict[Any, int] = {}
    for value in olds.values():
        counts[value] = counts.get(value, 0) + 1
    return {
        old: by_value[value][0]
        for old, value in olds.items()
        if value is not None and counts[value] == 1 and len(by_value.get(value, [])) == 1
    }


def _rename_clashes(
    tools: list[dict[str, Any]], from_user: set[int], report: MergeReport
) -> dict[str, str]:
    """A tool of the API's whose name one of the user's tools already took gets a hashed
    suffix (the same on every import); returns those new names by route."""
    users = {tools[i].get("name") for i in from_user}
    renamed: dict[str, str] = {}
    for index, tool in enumerate(tools):
        if index in from_user or tool.get("name") not in users:
            continue
        old = tool["name"]
        # A new table: the merged tool may be the user's spec's own (kept as it was).
        tool = tools[index] = {**tool, "name": f"{old[:41]}_{digest(_route(tool))}"}
        renamed[_route(tool)] = tool["name"]
        report.renamed.append(f"{old} -> {tool['name']} (you gave its name to another tool)")
        if old in report.added:
            report.added[report.added.index(old)] = tool["name"]
    return renamed
