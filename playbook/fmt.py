"""One number style for the whole playbook: numbers, money, percentages, points, intervals, labels.

Sentences (``narrative.py``), tables (``report.table``) and chart axes (``theme.money_axis`` …) all
format through these functions, so that a number reads the same wherever it appears. Missing
values (``None``, NaN) print as an en dash. The interval mass is never typed into a label: it is
formatted from the value used (:func:`interval_label`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

MISSING = "–"


def is_missing(x: Any) -> bool:
    """True for ``None``, NaN and pandas' missing markers."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def number(x: float | None, digits: int = 0) -> str:
    """``1234567`` → ``'1.23M'``; below 10,000 keep ``digits`` decimals with thousands separators."""
    if is_missing(x):
        return MISSING
    x = float(x)
    ax = abs(x)
    if ax >= 1e4:
        rounded = float(f"{x:.3g}")  # three significant digits: 12.3k, 123k, 1.23M
        for bound, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(rounded) >= bound:
                return f"{rounded / bound:.3g}{suffix}" if abs(rounded) < bound * 1000 else f"{rounded / bound:,.0f}{suffix}"
    out = f"{x:,.{digits}f}"
    return MISSING if out in ("nan", "-nan") else ("0" if out == "-0" else out)


def count(x: float | None) -> str:
    """A whole count with thousands separators, never abbreviated: ``12345`` → ``'12,345'``."""
    return MISSING if is_missing(x) else f"{round(float(x)):,}"


def money(x: float | None, currency: str = "$", digits: int = 0) -> str:
    """Money with the currency symbol and k/M/B suffixes: ``money(1.5e6)`` → ``'$1.5M'``; ``-2000`` → ``'-$2,000'``."""
    if is_missing(x):
        return MISSING
    sign = "-" if float(x) < 0 else ""
    return f"{sign}{currency}{number(abs(float(x)), digits)}"


#: Scales for a set of amounts shown together (an axis, a table column): divisor and suffix.
SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def scale_for(values) -> tuple[float, str]:
    """The one scale (divisor, suffix) for amounts shown together: chosen from the largest magnitude.

    ``scale_for([8000, 16000])`` → ``(1000.0, 'k')``, so that an axis reads ``$8k, $16k`` and
    never ``$8,000`` beside ``$16k``.
    """
    finite = [abs(float(v)) for v in values if is_finite(v)]
    top = max(finite, default=0.0)
    for divisor, suffix in SCALES:
        if top >= divisor * (10 if divisor == 1e3 else 1):
            return divisor, suffix
    return 1.0, ""


def money_scaled(x: float | None, scale: tuple[float, str], currency: str = "$", digits: int | None = None) -> str:
    """Money in a fixed ``scale`` from :func:`scale_for`: ``money_scaled(8000, (1e3, 'k'))`` → ``'$8k'``."""
    if is_missing(x):
        return MISSING
    divisor, suffix = scale
    value = float(x) / divisor
    if value == 0:
        return f"{currency}0"
    if digits is None:
        digits = 0 if abs(value) >= 10 or value == int(value) else 1
    sign = "-" if value < 0 else ""
    return f"{sign}{currency}{abs(value):,.{digits}f}{suffix}"


def money_precise(x: float | None, currency: str = "$") -> str:
    """Money per unit with cents where they matter: ``14.52`` → ``'$14.52'``, ``1234.5`` → ``'$1,235'``."""
    if is_missing(x):
        return MISSING
    return money(x, currency, 2 if abs(float(x)) < 100 else 0)


def pct(x: float | None, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: ``pct(0.1234)`` → ``'12.3%'``; ``signed`` adds ``+``."""
    if is_missing(x):
        return MISSING
    return f"{float(x) * 100:+.{digits}f}%" if signed else f"{float(x) * 100:.{digits}f}%"


def pp(x: float | None, digits: int = 1) -> str:
    """A difference of two shares in percentage points: ``pp(0.021)`` → ``'+2.1 pp'``."""
    if is_missing(x):
        return MISSING
    return f"{float(x) * 100:+.{digits}f} pp"


def ratio(x: float | None, digits: int = 2) -> str:
    """A ratio such as ROAS: ``ratio(2.4913)`` → ``'2.49'``."""
    return MISSING if is_missing(x) else f"{float(x):.{digits}f}"


def prob(x: float | None) -> str:
    """A probability as a percentage, with more digits near certainty: ``0.9731`` → ``'97%'``, ``0.9996`` → ``'99.96%'``;
    closer to 0 or 1 than three decimals show: ``'<0.001%'``, ``'>99.999%'`` (never a false ``0.000%``)."""
    if is_missing(x):
        return MISSING
    x = float(x)
    if 0 < x < 1e-5:
        return "<0.001%"
    if 0 < 1 - x < 1e-5:
        return ">99.999%"
    if 0.99 < x < 1 or 0 < x < 0.01:
        digits = 2 if 0.0001 <= min(x, 1 - x) else 3
        return f"{x * 100:.{digits}f}%"
    return f"{x * 100:.0f}%"


def days(x: float | None) -> str:
    """A duration in days: ``1`` → ``'1 day'``, ``12.4`` → ``'12 days'``."""
    if is_missing(x):
        return MISSING
    n = round(float(x))
    return f"{n:,} day" if n == 1 else f"{n:,} days"


def date(x: Any, style: str = "iso") -> str:
    """A date: ``iso`` → ``'2025-12-22'``, ``month`` → ``'Dec 2025'``, ``day`` → ``'22 Dec 2025'``."""
    if is_missing(x):
        return MISSING
    return pd.Timestamp(x).strftime(_DATE_STYLES[style])


_DATE_STYLES = {"iso": "%Y-%m-%d", "month": "%b %Y", "day": "%d %b %Y"}


def mass(interval: float) -> str:
    """The mass of an interval as a percentage label: ``0.9`` → ``'90%'``, ``0.945`` → ``'94.5%'``."""
    value = float(interval) * 100
    return f"{value:.0f}%" if abs(value - round(value)) < 1e-9 else f"{value:.1f}%"


def interval_label(interval: float, kind: str = "interval") -> str:
    """The label of an interval of mass ``interval``: ``interval_label(0.9)`` → ``'90% interval'``.

    ``kind`` names it where the kind matters: ``'credible interval'``, ``'prediction interval'``.
    """
    return f"{mass(interval)} {kind}"


def interval(low: float | None, high: float | None, f: Callable[..., str] = number, **kwargs: Any) -> str:
    """An interval as ``'[low, high]'`` with formatter ``f``: ``interval(0.22, 0.6, ratio)`` → ``'[0.22, 0.60]'``."""
    return f"[{f(low, **kwargs)}, {f(high, **kwargs)}]"


def estimate(mean: float | None, low: float | None, high: float | None, f: Callable[..., str] = number, **kwargs: Any) -> str:
    """A point estimate with its interval: ``estimate(0.4, 0.22, 0.6, ratio)`` → ``'0.40 [0.22, 0.60]'``."""
    return f"{f(mean, **kwargs)} {interval(low, high, f, **kwargs)}"


def join(items: list[str], conjunction: str = "and") -> str:
    """``['a', 'b', 'c']`` → ``'a, b and c'``; one item as is; none → ``''``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(n: float, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, 'channel')`` → ``'1 channel'``; ``plural(3, 'channel')`` → ``'3 channels'``."""
    word = singular if round(float(n)) == 1 else (plural_form or singular + "s")
    return f"{count(n)} {word}"


def scope(measure: str, who: str, first: Any, last: Any) -> str:
    """The sentence that opens a report: which measure (which revenue), whose (which customers), which period.

    ``scope("net revenue per week", "all customers", "2023-01-02", "2025-12-22")`` →
    ``'Scope: net revenue per week; all customers; 2023-01-02 to 2025-12-22.'`` (plain text: the report escapes it).
    """
    period = f"{date(first)} to {date(last)}" if not (is_missing(first) or is_missing(last)) else "no dated data"
    return f"Scope: {measure}; {who}; {period}."


def clip_words(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut.

    For places with a hard size limit only; tiles are short by design and are never cut.
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def is_finite(x: Any) -> bool:
    """True for a real, finite number."""
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
