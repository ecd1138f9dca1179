"""Vega-Lite specs (plain dicts, data inline) for the dicts of :mod:`curate.report.data`."""

from __future__ import annotations

from typing import Any

from curate.report.data import reason_anchor

KEPT_COLOR = "#4c78a8"
DROPPED_COLOR = "#e45756"
WIDTH = 520
HEIGHT = 200


def funnel_chart(funnel: list[dict[str, Any]]) -> dict[str, Any]:
    """A stacked bar per stage: the rows it passed on, and the rows it dropped per reason (each
    with ``anchor``, the id of that reason's examples, which a click on the bar opens)."""
    values: list[dict[str, Any]] = []
    for stage in funnel:
        values.append({"stage": stage["stage"], "part": "passed on", "rows": stage["rows_out"]})
        for reason, n in stage["dropped"].items():
            values.append({"stage": stage["stage"], "part": f"dropped: {reason}", "rows": n,
                           "anchor": reason_anchor(stage["stage"], reason)})
    return {
        "description": "documents per stage",
        "data": {"values": values},
        "width": WIDTH,
        "mark": {"type": "bar", "cursor": "pointer"},
        "encoding": {
            "y": {"field": "stage", "type": "nominal", "sort": [stage["stage"] for stage in funnel], "title": None},
            "x": {"field": "rows", "type": "quantitative", "stack": "zero", "title": "documents"},
            "color": {"field": "part", "type": "nominal", "title": None,
                      "scale": {"scheme": "tableau20"}},
            "order": {"field": "part", "type": "nominal"},
            "tooltip": [{"field": "stage"}, {"field": "part"}, {"field": "rows", "type": "quantitative"}],
        },
    }


def histogram_chart(title: str, bins: list[dict[str, Any]], thresholds: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Kept and dropped counts per bin as overlaid bars, with a vertical rule per threshold."""
    values = [{"start": b["start"], "end": b["end"], "set": s, "n": b[s]} for b in bins for s in ("kept", "dropped")]
    layers: list[dict[str, Any]] = [{
        "data": {"values": values},
        "mark": {"type": "bar", "opacity": 0.6},
        "encoding": {
            "x": {"field": "start", "type": "quantitative", "title": title, "bin": {"binned": True}},
            "x2": {"field": "end"},
            "y": {"field": "n", "type": "quantitative", "stack": None, "title": "documents (sample)"},
            "color": {"field": "set", "type": "nominal", "title": None,
                      "scale": {"domain": ["kept", "dropped"], "range": [KEPT_COLOR, DROPPED_COLOR]}},
            "tooltip": [{"field": "set"}, {"field": "start", "type": "quantitative"},
                        {"field": "end", "type": "quantitative"}, {"field": "n", "type": "quantitative"}],
        },
    }]
    if thresholds:
        rules = [{"value": t["value"], "label": f"{t['stage']}.{t['setting']} = {t['value']:g}"} for t in thresholds]
        layers.append({
            "data": {"values": rules},
            "mark": {"type": "rule", "color": "black", "strokeDash": [4, 3], "strokeWidth": 2},
            "encoding": {"x": {"field": "value", "type": "quantitative"}, "tooltip": [{"field": "label"}]},
        })
    return {"description": title, "width": WIDTH, "height": HEIGHT, "layer": layers}


RULE_ALONE = "this rule alone (documents that reached its stage)"
WHOLE_PIPELINE = "whole pipeline (all documents; only those no other rule dropped move)"


def whatif_chart(column: str, whatif: dict[str, Any]) -> dict[str, Any]:
    """The kept fraction as the threshold moves, for the rule alone (``curve``) and for the
    whole output (``pipeline_curve``, when there is one): two lines with a legend, and the
    threshold as it ran (a rule)."""
    values = [{**p, "curve": RULE_ALONE} for p in whatif["curve"]]
    values += [{**p, "curve": WHOLE_PIPELINE} for p in whatif.get("pipeline_curve") or []]
    return {
        "description": f"what-if {whatif['stage']}.{whatif['setting']}",
        "width": WIDTH,
        "height": HEIGHT,
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "line", "point": False},
                "encoding": {
                    "x": {"field": "threshold", "type": "quantitative",
                          "title": f"{whatif['stage']}.{whatif['setting']} ({whatif['direction']} on {column})"},
                    "y": {"field": "kept_fraction", "type": "quantitative", "title": "kept fraction",
                          "scale": {"domain": [0, 1]}, "axis": {"format": "%"}},
                    "color": {"field": "curve", "type": "nominal", "title": None,
                              "scale": {"domain": [RULE_ALONE, WHOLE_PIPELINE], "range": [KEPT_COLOR, DROPPED_COLOR]},
                              "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 0}},
                    "tooltip": [{"field": "curve"}, {"field": "threshold", "type": "quantitative"},
                                {"field": "kept_fraction", "type": "quantitative", "format": ".1%"}],
                },
            },
            {
                "data": {"values": [{"value": whatif["value"]}]},
                "mark": {"type": "rule", "color": "black", "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "value", "type": "quantitative"}},
            },
        ],
    }


def grouped_bars(description: str, values: list[dict[str, Any]], category: str, group: str, value: str,
                 groups: list[str], colors: list[str], x_title: str, order: list[str] | str | None = None,
                 x_format: str | None = None, tooltip_format: str | None = None) -> dict[str, Any]:
    """Horizontal bars of ``value`` per ``category``, one bar per ``group`` side by side
    (``groups`` in that order, coloured by ``colors``); ``order`` sorts the categories (a list,
    or a Vega-Lite sort such as ``"-x"``); ``x_format`` / ``tooltip_format`` are d3 formats
    of the axis and the tooltip."""
    x: dict[str, Any] = {"field": value, "type": "quantitative", "title": x_title}
    tip: dict[str, Any] = {"field": value, "type": "quantitative"}
    if x_format:
        x["axis"] = {"format": x_format}
    if tooltip_format:
        tip["format"] = tooltip_format
    return {
        "description": description,
        "data": {"values": values},
        "width": WIDTH,
        "mark": "bar",
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": order, "title": None},
            "yOffset": {"field": group, "sort": groups},
            "x": x,
            "color": {"field": group, "type": "nominal", "title": None,
                      "scale": {"domain": groups, "range": colors}},
            "tooltip": [{"field": category}, {"field": group}, tip],
        },
    }


def languages_chart(languages: dict[str, dict[str, int]], top: int = 25) -> dict[str, Any]:
    """Documents per language (the ``top`` most frequent), kept and dropped side by side."""
    totals: dict[str, int] = {}
    for counts in languages.values():
        for lang, n in counts.items():
            totals[lang] = totals.get(lang, 0) + n
    order = sorted(totals, key=lambda k: -totals[k])[:top]
    values = [{"language": lang, "set": s, "n": languages.get(s, {}).get(lang, 0)}
              for lang in order for s in ("kept", "dropped")]
    return grouped_bars("languages", values, "language", "set", "n", ["kept", "dropped"],
                        [KEPT_COLOR, DROPPED_COLOR], "documents (sample)", order)
