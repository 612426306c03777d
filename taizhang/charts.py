"""Charts as inline SVG, so a page opens on an intranet with nothing loaded from the network.

Every chart is a ``<figure class='chart'>`` holding one ``<svg>`` with a
Chinese caption. Labels and numbers are escaped; callers pass only counts and
their own wording (never a cell value). Sizes are computed from the data so
the same input gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ("#3b6ea5", "#d9822b", "#5a9e6f", "#b5485d", "#7c6bb0", "#8c8c8c")
_CHAR_PX = 13  # a CJK character at the chart's 13 px font
_ROW_PX = 24
_BAR_AREA = 360


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text_px(text: str) -> int:
    """Width of a label, erring wide: CJK characters and full-width punctuation 14 px, others 8 px."""
    return sum(_CHAR_PX + 1 if ord(ch) > 0x2000 else _CHAR_PX // 2 + 2 for ch in text)


def _label_px(labels: Sequence[str]) -> int:
    return min(340, max([_text_px(label) for label in labels] + [40]) + 14)


@dataclass(frozen=True)
class Series:
    """One stacked part of a bar chart: a name for the legend and one value per bar."""

    name: str
    values: Sequence[float]


def _legend(series: Sequence[Series], x: int, y: int) -> list[str]:
    parts, at = [], x
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f"<rect x='{at}' y='{y - 10}' width='12' height='12' fill='{colour}'/>")
        parts.append(f"<text x='{at + 16}' y='{y}'>{_esc(s.name)}</text>")
        at += 16 + _text_px(s.name) + 18
    return parts


def bar_chart(
    caption: str,
    labels: Sequence[str],
    series: Sequence[Series] | Sequence[float],
    *,
    unit: str = "行",
    marks: Sequence[float | None] | None = None,
    mark_name: str = "",
    grouped: bool = False,
) -> str:
    """A horizontal (stacked) bar chart; ``marks`` draws a threshold tick on each bar (same scale).

    ``grouped`` draws the series side by side under each label instead of
    stacked, for counts that overlap (a child may be both 疑似孤儿 and 紧急).
    With no labels the figure says so in words instead of drawing an empty box.
    """
    if grouped and series and isinstance(series[0], Series) and len(series) > 1:
        return _grouped_chart(caption, labels, series, unit)  # type: ignore[arg-type]
    if series and not isinstance(series[0], Series):
        series = [Series("", [float(v) for v in series])]  # type: ignore[arg-type]
    stacks: Sequence[Series] = series  # type: ignore[assignment]
    if not labels:
        return f"<figure class='chart empty'><figcaption>{_esc(caption)}</figcaption><p>无数据。</p></figure>"
    totals = [sum(s.values[i] for s in stacks) for i in range(len(labels))]
    top = max([*totals, *(m for m in (marks or ()) if m is not None), 1.0])
    left = _label_px(labels)
    legend_h = 22 if len(stacks) > 1 or mark_name else 0
    width = left + _BAR_AREA + 90
    height = legend_h + len(labels) * _ROW_PX + 8
    out = [
        f"<figure class='chart'><figcaption>{_esc(caption)}</figcaption>",
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{_esc(caption)}' "
        f"width='{width}' height='{height}' viewBox='0 0 {width} {height}' font-size='13'>",
    ]
    if legend_h:
        named = [s for s in stacks if s.name] if len(stacks) > 1 else []
        out += _legend(named, left, 14)
        if mark_name:
            at = left + sum(16 + _text_px(s.name) + 18 for s in named)
            out.append(f"<line x1='{at}' x2='{at}' y1='4' y2='16' stroke='#b00020' stroke-width='2'/>")
            out.append(f"<text x='{at + 6}' y='14'>{_esc(mark_name)}</text>")
    for i, label in enumerate(labels):
        y = legend_h + i * _ROW_PX + 4
        out.append(
            f"<text x='{left - 6}' y='{y + 15}' text-anchor='end'>"
            f"<title>{_esc(label)}</title>{_esc(label)}</text>"
        )
        x = float(left)
        for k, s in enumerate(stacks):
            w = _BAR_AREA * s.values[i] / top
            if w > 0:
                tip = f"{s.name + '：' if s.name else ''}{s.values[i]:,.0f} {unit}"
                out.append(
                    f"<rect x='{x:.1f}' y='{y + 2}' width='{max(w, 1.5):.1f}' height='{_ROW_PX - 8}' "
                    f"fill='{PALETTE[k % len(PALETTE)]}'><title>{_esc(tip)}</title></rect>"
                )
            x += w
        out.append(f"<text x='{x + 6:.1f}' y='{y + 15}'>{totals[i]:,.0f}</text>")
        if marks and marks[i] is not None:
            mx = left + _BAR_AREA * float(marks[i]) / top  # type: ignore[arg-type]
            out.append(
                f"<line x1='{mx:.1f}' x2='{mx:.1f}' y1='{y}' y2='{y + _ROW_PX - 4}' "
                "stroke='#b00020' stroke-width='2'/>"
            )
    out.append("</svg></figure>")
    return "".join(out)


def _grouped_chart(caption: str, labels: Sequence[str], stacks: Sequence[Series], unit: str) -> str:
    if not labels:
        return f"<figure class='chart empty'><figcaption>{_esc(caption)}</figcaption><p>无数据。</p></figure>"
    top = max([v for s in stacks for v in s.values] + [1.0])
    left = _label_px(labels)
    bar = 9
    row = bar * len(stacks) + 10
    width = left + _BAR_AREA + 90
    height = 22 + len(labels) * row + 6
    out = [
        f"<figure class='chart'><figcaption>{_esc(caption)}</figcaption>",
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{_esc(caption)}' "
        f"width='{width}' height='{height}' viewBox='0 0 {width} {height}' font-size='13'>",
        *_legend(stacks, left, 14),
    ]
    for i, label in enumerate(labels):
        y = 22 + i * row
        out.append(
            f"<text x='{left - 6}' y='{y + row / 2 + 4:.1f}' text-anchor='end'>"
            f"<title>{_esc(label)}</title>{_esc(label)}</text>"
        )
        for k, s in enumerate(stacks):
            w = _BAR_AREA * s.values[i] / top
            yy = y + 4 + k * bar
            out.append(
                f"<rect x='{left}' y='{yy}' width='{max(w, 1.0):.1f}' height='{bar - 1}' "
                f"fill='{PALETTE[k % len(PALETTE)]}'>"
                f"<title>{_esc(s.name)}：{s.values[i]:,.0f} {unit}</title></rect>"
            )
            out.append(
                f"<text x='{left + w + 4:.1f}' y='{yy + bar - 1}' font-size='10'>{s.values[i]:,.0f}</text>"
            )
    out.append("</svg></figure>")
    return "".join(out)


def waterfall(caption: str, steps: Sequence[tuple[str, float]], *, prior: float, threshold: float) -> str:
    """A match weight as Splink draws it: the prior, then each comparison's weight, then the total.

    ``steps`` are (label, log2 Bayes factor) per comparison level; bars go up
    for evidence for a match and down against it, each starting where the
    previous ended. A dashed line marks the linkage threshold.
    """
    values = [prior, *(w for _, w in steps)]
    labels = ["先验", *(label for label, _ in steps), "合计"]
    running, ends = 0.0, []
    for v in values:
        running += v
        ends.append(running)
    total = running
    lows = [min(0.0, threshold, *ends, prior)]
    highs = [max(0.0, threshold, *ends, prior)]
    lo, hi = min(lows) - 1, max(highs) + 1
    col = 46
    chart_h = 220
    top_pad, bottom = 10, 110
    width = 40 + col * len(labels) + 10
    height = top_pad + chart_h + bottom

    def y(v: float) -> float:
        return top_pad + (hi - v) / (hi - lo) * chart_h

    out = [
        f"<figure class='chart waterfall'><figcaption>{_esc(caption)}</figcaption>",
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{_esc(caption)}' "
        f"width='{width}' height='{height}' viewBox='0 0 {width} {height}' font-size='11'>",
        f"<line x1='36' x2='{width - 4}' y1='{y(0):.1f}' y2='{y(0):.1f}' stroke='#999'/>",
        f"<line x1='36' x2='{width - 4}' y1='{y(threshold):.1f}' y2='{y(threshold):.1f}' "
        "stroke='#b00020' stroke-dasharray='4 3'/>",
        f"<text x='2' y='{y(threshold) + 4:.1f}' fill='#b00020'>{threshold:.1f}</text>",
        f"<text x='2' y='{y(0) + 4:.1f}'>0</text>",
    ]
    start = 0.0
    for i, label in enumerate(labels):
        x = 40 + i * col
        if i == len(labels) - 1:
            a, b, colour = 0.0, total, "#336" if total >= threshold else "#8c8c8c"
        else:
            a, b = start, start + values[i]
            colour = "#5a9e6f" if values[i] >= 0 else "#b5485d"
            start = b
        top_v, bot_v = max(a, b), min(a, b)
        h = max(y(bot_v) - y(top_v), 1.0)
        amount = total if i == len(labels) - 1 else values[i]
        out.append(
            f"<rect x='{x + 4}' y='{y(top_v):.1f}' width='{col - 8}' height='{h:.1f}' fill='{colour}'>"
            f"<title>{_esc(label)}：{amount:+.2f}</title></rect>"
        )
        out.append(
            f"<text x='{x + col / 2:.1f}' y='{y(top_v) - 3:.1f}' text-anchor='middle'>{amount:+.1f}</text>"
        )
        out.append(
            f"<text transform='translate({x + col / 2 + 4:.1f},{top_pad + chart_h + 8}) rotate(50)'>"
            f"{_esc(label)}</text>"
        )
    out.append("</svg></figure>")
    return "".join(out)


PAGE_CSS = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Noto Sans SC",sans-serif;
margin:2em auto;max-width:1180px;color:#222;line-height:1.6;padding:0 1em}
h1{font-size:1.6em;border-bottom:2px solid #336;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.6em;color:#336}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #ccc;padding:.35em .6em;
text-align:left;vertical-align:top}th{background:#eef}td.n{text-align:right;white-space:nowrap}
.ok{color:#176317}.warn{color:#a15c00}.bad{color:#b00020;font-weight:bold}.muted{color:#666;font-size:.9em}
.rows{font-family:monospace;font-size:.92em}.box{background:#f7f7fb;border:1px solid #dde;padding:.8em 1em}
.badge{display:inline-block;padding:.15em .7em;border-radius:1em;color:#fff;font-weight:bold}
.badge.ok{background:#2e7d32;color:#fff}.badge.warn{background:#c77700;color:#fff}
.badge.bad{background:#b00020;color:#fff}.badge.none{background:#777}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}.card{border:1px solid #dde;background:#f7f7fb;
padding:.4em .8em;min-width:7.5em}.card b{display:block;font-size:1.4em}
.nw{white-space:nowrap}.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure.chart{margin:.5em 0}
figure.chart figcaption{font-weight:bold;color:#336;margin-bottom:.3em}
"""


def page(title: str, body: str, *, css: str = PAGE_CSS) -> str:
    """A whole self-contained HTML page (styles inline, no script, nothing fetched)."""
    return (
        "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{css}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
