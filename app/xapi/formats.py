"""The ``format`` of statements returned (xAPI 1.0.3, Communication §2.1.3): ``exact`` as
stored, ``ids`` with agents, groups, activities and verbs reduced to what identifies them,
``canonical`` with every language map cut to the one language the reader prefers
(``Accept-Language``, else the first the map has)."""

from __future__ import annotations

from typing import Any

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAPS = {"display", "name", "description"}


def formatted(statement: dict[str, Any], fmt: str, languages: list[str]) -> dict[str, Any]:
    if fmt == "ids":
        return _ids_statement(statement)
    if fmt == "canonical":
        return _canonical(statement, [lang.lower() for lang in languages])
    return statement


def _ids_agent(agent: Any) -> Any:
    if not isinstance(agent, dict):
        return agent
    kept: dict[str, Any] = {k: agent[k] for k in ("objectType", *IFIS) if k in agent}
    if agent.get("objectType") == "Group" and not any(k in agent for k in IFIS):
        kept["member"] = [_ids_agent(m) for m in agent.get("member") or []]
    return kept


def _ids_object(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {"id": obj.get("id")}
    if kind in ("Agent", "Group"):
        return _ids_agent(obj)
    if kind == "SubStatement":
        return _ids_statement(obj)
    return obj


def _ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    for name in ("actor", "authority"):
        if name in out:
            out[name] = _ids_agent(out[name])
    if isinstance(out.get("verb"), dict):
        out["verb"] = {"id": out["verb"].get("id")}
    if "object" in out:
        out["object"] = _ids_object(out["object"])
    context = out.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for name in ("instructor", "team"):
            if name in context:
                context[name] = _ids_agent(context[name])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            context["contextActivities"] = {
                key: [_ids_object(a) for a in (items if isinstance(items, list) else [items])]
                for key, items in activities.items()
            }
        out["context"] = context
    return out


def _pick(language_map: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    if not language_map:
        return language_map
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in languages:
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for tag_lower, tag in lowered.items():
            if tag_lower.split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def _canonical(value: Any, languages: list[str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        if key in LANGUAGE_MAPS and all(isinstance(v, str) for v in value.values()):
            return _pick(value, languages)
        if key == "extensions":
            return value
        return {k: _canonical(v, languages, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v, languages) for v in value]
    return value
