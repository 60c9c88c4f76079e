"""One seaborn / matplotlib theme for every report, and stable colours per channel and brand."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib as mpl
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from playbook import fmt

#: Colour-blind-safe qualitative palette (Okabe & Ito), in a fixed order.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # pink
    "#56B4E9",  # sky
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Named colours for the few meanings every report shares.
COLORS = {
    "ours": "#0072B2",
    "others": "#9AA5B1",
    "good": "#1B7F3B",
    "bad": "#B42318",
    "warn": "#B54708",
    "neutral": "#4B5563",
    "interval": "#0072B2",
}
FIGSIZE = (9.0, 4.2)
#: The smallest text in a chart, in points (tick labels, legends, axis labels).
MIN_FONT_PT = 10.5
#: The inline figure format of every report: PNG at twice the screen resolution.
FIGURE_FORMAT = "retina"
FIGSIZE_WIDE = (11.0, 4.2)
FIGSIZE_TALL = (9.0, 6.0)


def apply() -> None:
    """Set the house style: white grid, readable fonts, no chart junk, PNG at twice the screen resolution.

    Figures are "retina" PNGs (drawn at 2 × ``figure.dpi``, shown at 1 ×): static, offline and
    e-mailable like any PNG, and still sharp where a report is read scaled down and zoomed in (a
    390 px phone shows a 9-inch figure at about 40 % size, readable with a two-finger zoom) or printed
    (220 dpi). No text is smaller than :data:`MIN_FONT_PT` (ticks, legends, axis labels).
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE), font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": MIN_FONT_PT,
            "legend.frameon": False,
            "legend.fontsize": MIN_FONT_PT,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "grid.color": "#E5E7EB",
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
        }
    )
    try:  # static PNGs (offline, e-mailable), at double density for phones, zoom and print
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats(FIGURE_FORMAT)
    except ImportError:  # pragma: no cover - outside IPython
        pass


def color_map(names: Iterable[str], highlight: str | None = None) -> dict[str, str]:
    """A stable colour per name (sorted order), with ``highlight`` in the 'ours' blue if given."""
    names = sorted(dict.fromkeys(names))
    others = [c for c in PALETTE if c != COLORS["ours"]] if highlight else list(PALETTE)
    out: dict[str, str] = {}
    i = 0
    for name in names:
        if name == highlight:
            out[name] = COLORS["ours"]
        else:
            out[name] = others[i % len(others)]
            i += 1
    return out


# --------------------------------------------------------------------------- axes


def _axis(ax, axis: str):
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    return ax.xaxis if axis == "x" else ax.yaxis


def pct_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Tick labels of a fraction axis as percentages, at round steps (no labels repeated by rounding)."""
    target = _axis(ax, axis)
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def money_axis(ax, axis: str = "y", currency: str = "$") -> None:
    """Tick labels of a money axis in one scale for the whole axis (``$8k, $16k``; never ``$8,000`` beside ``$16k``)."""
    target = _axis(ax, axis)
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))

    def label(value, _pos):
        scale = fmt.scale_for(target.get_view_interval())
        return _mathtext_safe(fmt.money_scaled(value, scale, currency))

    target.set_major_formatter(FuncFormatter(label))


def count_axis(ax, axis: str = "y") -> None:
    """Tick labels of a count axis (``12k``, ``1.2M``)."""
    target = _axis(ax, axis)
    target.set_major_locator(MaxNLocator(nbins=6, integer=True))
    target.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v)))


def _mathtext_safe(text: str) -> str:
    """Escape ``$`` so matplotlib does not read a currency symbol as the start of math text."""
    return text.replace("$", r"\$")
