"""The HTML report of ``a2i eval``: a table of chains, per-class numbers with bar plots, and image grids.

One self-contained file (pictures inlined as base64 PNG, plots as SVG), so it
can be mailed or archived with the JSON beside it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from a2i_studio.evaluation._evaluate import PairScore
from a2i_studio.files import atomic_write

__all__ = ["write_html_report"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
_PER_ROW = 6


def write_html_report(
    path: Path,
    title: str,
    rows: Sequence[tuple[str, str]],
    summaries: Sequence[Mapping[str, Any]],
    scores: Sequence[Sequence[PairScore]],
) -> None:
    """Write the report.

    Args:
        path: The ``.html`` file.
        title: The first line (data, split, seeds).
        rows: ``(title, key)`` of each metric row, in order; keys a summary lacks show as blank.
        summaries: One summary per chain (``chain`` and the metrics, ``aic_per_label`` and ``per_label``).
        scores: Per chain, the scored pairs with their generated images.
    """
    chains = [str(summary["chain"]) for summary in summaries]
    head = "".join(f"<th style='color:{_COLOURS[i % len(_COLOURS)]}'>{html.escape(c)}</th>"
                   for i, c in enumerate(chains))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>{''.join(_cell(summary.get(key)) for summary in summaries)}</tr>"
        for name, key in rows if any(key in summary for summary in summaries)
    )
    parts = [f"<h1>a2i eval</h1><p>{html.escape(title)}</p><table><tr><th>metric</th>{head}</tr>{body}</table>"]
    for metric, by_chain in _per_label_tables(summaries).items():
        labels = sorted({label for values in by_chain for label in values})
        table = "".join(
            f"<tr><td>{html.escape(label)}</td>{''.join(_cell(values.get(label)) for values in by_chain)}</tr>"
            for label in labels
        )
        parts.append(f"<h2>{html.escape(metric)} per class</h2>{_bars(labels, by_chain)}"
                     f"<table><tr><th>class</th>{head}</tr>{table}</table>")
    for chain, chain_scores in zip(chains, scores, strict=True):
        parts.append(f"<h2>{html.escape(chain)}: generated (top) and real (bottom) pictures per class</h2>")
        by_label: dict[str, list[PairScore]] = {}
        for score in chain_scores:
            by_label.setdefault(score.item.label, []).append(score)
        for label, members in sorted(by_label.items()):
            chosen = members[:_PER_ROW]
            generated = "".join(_thumbnail(score.image, score.predicted) for score in chosen)
            real = "".join(_thumbnail(_open(score.item.image), "") for score in chosen)
            parts.append(f"<h3>{html.escape(label or '(no label)')}</h3><div>{generated}</div><div>{real}</div>")
    atomic_write(
        path,
        "<!doctype html><html><head><meta charset='utf-8'><title>a2i eval</title><style>body{font-family:sans-serif}"
        "td,th{padding:2px 10px;text-align:right}img{width:96px;image-rendering:pixelated;margin:2px}"
        "figure{display:inline-block;margin:0;font-size:11px;text-align:center}</style></head><body>"
        + "".join(parts) + "</body></html>\n",
    )


def _cell(value: Any) -> str:
    return f"<td>{value:.3f}</td>" if isinstance(value, float | int) and not isinstance(value, bool) else "<td></td>"


def _per_label_tables(summaries: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, float]]]:
    """Per-class values by title, one dict per chain: AIC, the ``per_label`` metrics and the Spearman
    of each followed attribute, on the chain's pictures and on the real ones (the regressor's ceiling)."""
    tables: dict[str, list[dict[str, float]]] = {}
    found = [("AIC", summary.get("aic_per_label") or {}) for summary in summaries]
    for summary in summaries:
        found += [(metric, values) for metric, values in summary.get("per_label", {}).items()]
        found += [(f"Spearman {name} (generated)", values)
                  for name, values in summary.get("attribute_following", {}).items()]
        found += [(f"Spearman {name} (real pictures)", values)
                  for name, values in summary.get("attribute_following_real", {}).items()]
    for title in dict.fromkeys(title for title, values in found if values):
        tables[title] = [_per_label_value(summary, title) for summary in summaries]
    return tables


def _per_label_value(summary: Mapping[str, Any], title: str) -> dict[str, float]:
    if title == "AIC":
        return dict(summary.get("aic_per_label") or {})
    if title.startswith("Spearman "):
        name, kind = title.removeprefix("Spearman ").split(" ", 1)
        key = "attribute_following" if kind == "(generated)" else "attribute_following_real"
        return dict(summary.get(key, {}).get(name, {}))
    return dict(summary.get("per_label", {}).get(title, {}))


def _bars(labels: list[str], by_chain: list[dict[str, float]]) -> str:
    """A grouped bar chart: one group per class, one bar per chain, scaled to the largest value."""
    top = max([value for values in by_chain for value in values.values()] + [1e-9])
    width, bar, height = 24 * len(by_chain) + 16, 22, 140
    shapes = []
    for group, label in enumerate(labels):
        x0 = group * width + 40
        for index, values in enumerate(by_chain):
            value = values.get(label, 0.0)
            tall = height * max(value, 0.0) / top  # negative correlations show as no bar
            shapes.append(f"<rect x='{x0 + index * (bar + 2)}' y='{height - tall + 10:.1f}' width='{bar}' "
                          f"height='{tall:.1f}' fill='{_COLOURS[index % len(_COLOURS)]}'><title>{value:.3f}</title>"
                          "</rect>")
        shapes.append(f"<text x='{x0}' y='{height + 24}' font-size='10'>{html.escape(label[:14])}</text>")
    return (f"<svg width='{len(labels) * width + 50}' height='{height + 32}'>"
            f"<text x='0' y='18' font-size='10'>{top:.3g}</text>{''.join(shapes)}</svg>")


def _open(path: Path | None) -> Image.Image | None:
    if path is None:
        return None
    with Image.open(path) as picture:
        return picture.convert("RGB")


def _thumbnail(image: Image.Image | None, caption: str) -> str:
    if image is None:
        return ""
    buffer = io.BytesIO()
    image.convert("RGB").resize((96, 96), Image.Resampling.BOX).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    return f"<figure><img src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)}</figcaption></figure>"
