"""Every sentence of the market report that states a number or picks a winner, chosen by a stated rule.

Functions take a :class:`~playbook.market.MarketResult` and return text (HTML-safe: data-borne names
are escaped; the brief lines are plain text for the JSON). Thresholds are named constants beside
the rules that use them; the report's appendix prints them (:func:`thresholds`).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import numpy as np

from playbook import fmt
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.market import MarketResult

#: Seasonal strength (0–1, Wang, Smith & Hyndman 2006) from which the swing is called strong.
SEASON_STRONG = 0.6
#: Seasonal strength below which the report says there is little seasonality.
SEASON_WEAK = 0.3
#: HHI bands (US merger guidelines 2010): below MODERATE unconcentrated, above HIGH highly concentrated.
HHI_MODERATE = 1500
HHI_HIGH = 2500
#: The runner-up region is "close" when its priority score is within this fraction of the first's.
PRIORITY_CLOSE = 0.10
#: A calibrated interval whose backtest coverage falls this far below its mass is flagged as too narrow.
COVERAGE_SHORTFALL = 0.10

#: The report's ``##`` headings, as the notebook types them (brief lines name their section).
SECTIONS = {
    "size": "How big is the market, and how fast is it growing?",
    "share": "Who is winning share?",
    "competitors": "Competitor benchmarking",
    "regions": "Regions: where should we go next?",
    "seasonality": "Seasonality",
    "forecast": "Forecast",
    "breakdowns": "Categories and channels",
}


# --------------------------------------------------------------------------- helpers


def label(name) -> str:
    """A data label for prose: all-lower-case labels capitalised (``north`` → ``North``), others as they are."""
    text = str(name)
    return text.title() if text.islower() else text


def _h(name) -> str:
    """:func:`label`, escaped for HTML."""
    return html.escape(label(name))


def _years(x: float) -> str:
    return fmt.number(x, 0 if float(x).is_integer() else 1)


def _signed_count(x: float) -> str:
    return ("+" if x >= 0 else "-") + fmt.count(abs(x))


def _times(x: float) -> str:
    return f"{fmt.ratio(x)}×"


def window(r: MarketResult) -> str:
    """``'the last 12 months'``, or ``'the 8 months of data'`` when the data is shorter than a year."""
    if len(r.series) >= r.freq.periods_per_year:
        return f"the last {r.freq.window_label}"
    return f"the {fmt.plural(len(r.series), r.freq.unit)} of data"


def _short(r: MarketResult) -> str:
    return f"fewer than two years of data ({fmt.plural(len(r.series), r.freq.unit)})"


def ci(r: MarketResult) -> str:
    """The label of the report's confidence intervals: ``'90% confidence interval'``."""
    return fmt.interval_label(r.interval, "confidence interval")


def growth_verb(x: float) -> str:
    """``grew`` / ``shrank`` / ``did not change`` by the sign of a growth rate."""
    return "grew" if x > 0 else "shrank" if x < 0 else "did not change"


def season_class(r: MarketResult) -> str:
    """``'none'`` (no decomposition), ``'strong'``, ``'moderate'`` or ``'weak'`` by :data:`SEASON_STRONG` / :data:`SEASON_WEAK`."""
    if r.seasonality is None:
        return "none"
    s = r.seasonality.strength
    return "strong" if s >= SEASON_STRONG else "moderate" if s >= SEASON_WEAK else "weak"


def hhi_class(hhi: float) -> str:
    """The concentration band of an HHI value (:data:`HHI_MODERATE`, :data:`HHI_HIGH`)."""
    return "highly concentrated" if hhi > HHI_HIGH else "moderately concentrated" if hhi > HHI_MODERATE else "unconcentrated"


def _single_brand(r: MarketResult) -> bool:
    return len(r.brands) == 1


def _single_region(r: MarketResult) -> bool:
    return len(r.regions) == 1


def _no_gap(r: MarketResult) -> bool:
    return not (r.regions["priority_score"] > 0).any()


def _fastest(r: MarketResult):
    known = r.regions.dropna(subset=["yoy_growth"])
    return known.sort_values("yoy_growth", ascending=False).iloc[0] if len(known) else None


# --------------------------------------------------------------------------- executive summary


def findings(r: MarketResult) -> list[str]:
    """The executive summary's bullets: size and growth, our share, the threat, regions, season and forecast."""
    out = [size_finding(r), share_finding(r)]
    threat = threat_finding(r)
    if threat:
        out.append(threat)
    out += [region_finding(r), outlook_finding(r)]
    return out


def size_finding(r: MarketResult) -> str:
    """How big the market is and how it grew (YoY and CAGR), or why growth is missing."""
    head = f"The market was worth <b>{fmt.money(r.revenue_last)}</b> over {window(r)} (to {fmt.date(r.last_period, 'month')})"
    if not r.has_prior_year:
        return f"{head}; with {_short(r)} there is no year-on-year growth yet."
    return (f"{head}, <b>{fmt.pct(r.yoy_growth, signed=True)}</b> on the {r.freq.window_label} before; "
            f"it has compounded at {fmt.pct(r.cagr)} a year over {_years(r.cagr_years)} years.")


def share_finding(r: MarketResult) -> str:
    """Our share, its change and the growth we captured; who leads."""
    ours, leader = r.ours, r.leader
    us = f"<b>{_h(r.our_brand)}</b>"
    if _single_brand(r):
        return f"{us} is the only brand in the data: it holds the whole market."
    change = (f", <b>{fmt.pp(ours['share_change_pp'] / 100)}</b> on the year"
              if np.isfinite(ours["share_change_pp"]) else "")
    captured = (f", and captured {fmt.pct(ours['share_of_growth'], 0)} of the market's growth"
                if np.isfinite(ours["share_of_growth"]) and r.revenue_last > r.revenue_prior else "")
    if leader["brand"] == r.our_brand:
        runner = r.brands.iloc[1]
        return (f"{us} leads the market with <b>{fmt.pct(ours['share_last'])}</b>{change}{captured}; "
                f"{_h(runner['brand'])} follows with {fmt.pct(runner['share_last'])}.")
    return (f"{us} holds <b>{fmt.pct(ours['share_last'])}</b> of the market{change}{captured}. "
            f"{_h(leader['brand'])} leads with {fmt.pct(leader['share_last'])}.")


def threat_finding(r: MarketResult) -> str | None:
    """The competitor gaining most share, or that none gained; ``None`` without competitors or a prior year."""
    if _single_brand(r) or not r.has_prior_year:
        return None
    if r.threat is None:
        return "No competitor gained share over the last year."
    row = r.brands.set_index("brand").loc[r.threat]
    price = (f", selling at {_times(row['relative_price'])} the market's average price"
             if np.isfinite(row["relative_price"]) else "")
    return f"The biggest threat is <b>{_h(r.threat)}</b>: {fmt.pp(row['share_change_pp'] / 100)} of share in a year{price}."


def region_finding(r: MarketResult) -> str:
    """The fastest-growing region and the region ranked first for priority (or why there is no choice)."""
    top = r.priority
    if _no_gap(r):
        why = "there is no competitor in the data" if _single_brand(r) else "we hold the target share or more everywhere"
        first = f"No region has a share gap to close: {why}."
        return first if _single_region(r) else first + _fastest_clause(r)
    at_stake = (f"{fmt.money(top['priority_score'])} a year if we reach {fmt.pct(top['target_share'], 0)} share there "
                f"(we hold {fmt.pct(top['our_share'])})")
    if _single_region(r):
        return f"All the data is one region, <b>{_h(top['region'])}</b>: closing the share gap there is worth {at_stake}."
    fastest = _fastest(r)
    if fastest is not None and fastest["region"] == top["region"]:
        return (f"<b>{_h(top['region'])}</b> is both the fastest-growing region ({fmt.pct(fastest['yoy_growth'], signed=True)}) "
                f"and first for priority: {at_stake}.")
    lead = (f"<b>{_h(fastest['region'])}</b> is the fastest-growing region ({fmt.pct(fastest['yoy_growth'], signed=True)}); "
            if fastest is not None else "")
    return f"{lead}<b>{_h(top['region'])}</b> ranks first for priority: {at_stake}."


def _fastest_clause(r: MarketResult) -> str:
    fastest = _fastest(r)
    if fastest is None:
        return ""
    return f" {_h(fastest['region'])} is the fastest-growing region ({fmt.pct(fastest['yoy_growth'], signed=True)})."


def outlook_finding(r: MarketResult) -> str:
    """When demand peaks and what the forecast expects, or why neither is shown."""
    parts = []
    kind = season_class(r)
    if kind in ("strong", "moderate"):
        s = r.seasonality
        parts.append(f"Demand peaks in <b>{fmt.join(s.peak_months)}</b> and bottoms out in {s.trough_month}")
    elif kind == "weak":
        parts.append("Demand shows little seasonal pattern")
    fc = r.forecast
    if fc is not None:
        total = f"the next {fmt.plural(fc.horizon, r.freq.unit)} should bring <b>{fmt.money(fc.total)}</b>"
        spread = (f"{fmt.interval_label(r.interval)} {fmt.interval(fc.total_lower, fc.total_upper, fmt.money)}"
                  if fc.total_calibrated else "no calibrated interval for the total: too few past forecasts")
        parts.append(f"{total} ({spread})")
    if not parts:
        return f"Seasonality and the forecast need two years of data with revenue; this panel has {fmt.plural(len(r.series), r.freq.unit)}."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def tiles(r: MarketResult) -> list[Tile]:
    """The headline tiles: market size, underlying growth, our share, priority region, forecast."""
    win = r.freq.window_label
    size_label = f"Market, last {win}" if len(r.series) >= r.freq.periods_per_year else f"Market, all {fmt.plural(len(r.series), r.freq.unit)}"
    out = [Tile(size_label, fmt.money(r.revenue_last),
                f"{fmt.pct(r.yoy_growth, signed=True)} YoY" if r.has_prior_year else "no YoY: under 2 years")]
    t = r.trend
    if t.known:
        out.append(Tile("Underlying growth", f"{fmt.pct(t.rate, signed=True)} a year",
                        f"{fmt.mass(r.interval)} CI {fmt.interval(t.lower, t.upper, fmt.pct, signed=True)}",
                        {1: "good", -1: "bad", 0: ""}[t.sign]))
    else:
        out.append(Tile("Underlying growth", fmt.MISSING, "needs 2 years of data"))
    ours = r.ours
    change = ours["share_change_pp"]
    out.append(Tile(f"{label(r.our_brand)} share", fmt.pct(ours["share_last"]),
                    f"{fmt.pp(change / 100)} vs prior {win}" if np.isfinite(change) else "no prior year",
                    "good" if change > 0 else "bad" if change < 0 else ""))
    top = r.priority
    out.append(Tile("Priority region", label(top["region"]),
                    f"{fmt.money(top['priority_score'])} a year at stake" if not _no_gap(r) else "no share gap to close"))
    fc = r.forecast
    if fc is not None:
        detail = (f"{fmt.mass(r.interval)} interval {fmt.interval(fc.total_lower, fc.total_upper, fmt.money)}"
                  if fc.total_calibrated else "interval not calibrated")
        out.append(Tile(f"Forecast, next {fmt.plural(fc.horizon, r.freq.unit)}", fmt.money(fc.total), detail))
    return out


# --------------------------------------------------------------------------- size and growth


def yearly_sentence(r: MarketResult) -> str:
    """The market's growth in the last year and its CAGR (or why they are missing)."""
    if not r.has_prior_year:
        return (f"The market brought {fmt.money(r.revenue_last)} in {window(r)}; with {_short(r)} "
                "there is no YoY growth or CAGR yet.")
    return (f"The market {growth_verb(r.yoy_growth)} {fmt.pct(r.yoy_growth, signed=True)} in the last {r.freq.window_label} "
            f"to {fmt.money(r.revenue_last)}; its CAGR over {_years(r.cagr_years)} years is {fmt.pct(r.cagr)}.")


def yearly_title(r: MarketResult) -> str:
    return f"Market revenue per year: {fmt.money(r.revenue_last)} in the latest {r.freq.window_label}"


def trend_sentence(r: MarketResult) -> str:
    """The underlying growth rate with its confidence interval, called by the interval's sign."""
    t = r.trend
    if not t.known:
        return ("The underlying growth rate needs two years of periods with revenue to separate the trend from the "
                f"seasons; this panel has {fmt.plural(t.n_periods, r.freq.unit)} with revenue.")
    rate = f"{fmt.pct(t.rate, signed=True)} a year ({ci(r)} {fmt.interval(t.lower, t.upper, fmt.pct, signed=True)})"
    left_out = f" {fmt.plural(t.excluded, r.freq.unit)} without revenue are left out of the fit." if t.excluded else ""
    if t.sign > 0:
        return f"Underneath the seasons the market grows {rate}.{left_out}"
    if t.sign < 0:
        return f"Underneath the seasons the market shrinks {rate}.{left_out}"
    return f"Underneath the seasons the market's growth cannot be told from zero: {rate}.{left_out}"


def market_size_title(r: MarketResult) -> str:
    """The title of the revenue-per-period chart, from the growth interval's sign and the seasonal strength."""
    trend = {1: "growth", -1: "decline", 0: "no clear trend"}[r.trend.sign] if r.trend.known else "too short to tell a trend"
    season = {"strong": " under a strong seasonal swing", "moderate": " under a moderate seasonal swing",
              "weak": " with little seasonality", "none": ""}[season_class(r)]
    return f"Market revenue per {r.freq.unit}: {trend}{season}"


# --------------------------------------------------------------------------- share


def share_sentence(r: MarketResult) -> str:
    """Who gained and who lost most share, and where our brand stands."""
    ours = r.ours
    if _single_brand(r):
        return f"{_h(r.our_brand)} is the only brand: its share is 100% throughout."
    if not r.has_prior_year:
        return (f"{_h(r.our_brand)} holds {fmt.pct(ours['share_last'])}; {_h(r.leader['brand'])} leads with "
                f"{fmt.pct(r.leader['share_last'])}. Share changes need two years of data.")
    ranked = r.brands.sort_values("share_change_pp", ascending=False)
    up, down = ranked.iloc[0], ranked.iloc[-1]
    if up["share_change_pp"] == 0 and down["share_change_pp"] == 0:
        return f"No brand's share moved on the year; {_h(r.our_brand)} is at {fmt.pct(ours['share_last'])}."
    return (f"{_h(up['brand'])} gained most share ({fmt.pp(up['share_change_pp'] / 100)}) and {_h(down['brand'])} lost "
            f"most ({fmt.pp(down['share_change_pp'] / 100)}); {_h(r.our_brand)} is at {fmt.pct(ours['share_last'])}.")


def share_title(r: MarketResult) -> str:
    if _single_brand(r) or not r.has_prior_year:
        return "Share of market revenue"
    up = r.brands.sort_values("share_change_pp", ascending=False).iloc[0]
    return f"Share of market revenue: {label(up['brand'])} is gaining fastest"


def share_window_label(r: MarketResult) -> str:
    """The rolling window of the share chart: ``'12 months'`` (or all periods when shorter)."""
    return fmt.plural(r.window, r.freq.unit)


def growth_capture_sentence(r: MarketResult) -> str:
    """How much the market added or lost in a year and our part of it."""
    if not r.has_prior_year:
        return f"Share change and share of growth compare two years; with {_short(r)} they are not shown."
    change = r.revenue_last - r.revenue_prior
    ours = r.ours
    if change > 0:
        return (f"The market added {fmt.money(change)} in a year; {_h(r.our_brand)} took "
                f"{fmt.pct(ours['share_of_growth'], 0)} of that increase.")
    if change < 0:
        mine = ours["revenue_last"] - ours["revenue_prior"]
        return (f"The market lost {fmt.money(-change)} in a year; {_h(r.our_brand)}'s own revenue changed by "
                f"{'+' if mine >= 0 else ''}{fmt.money(mine)}.")
    return "The market's revenue did not change on the year, so there is no growth to share out."


def share_change_title(r: MarketResult) -> str:
    return f"Share change over the last {r.freq.window_label}"


def concentration_sentence(r: MarketResult) -> str:
    """The HHI, its change on the year and its concentration band."""
    change = f" ({_signed_count(r.hhi_change)} on the year)" if np.isfinite(r.hhi_change) else ""
    return f"Market concentration (HHI) is {fmt.count(r.hhi_now)}{change}: {hhi_class(r.hhi_now)}."


# --------------------------------------------------------------------------- competitors


def price_sentence(r: MarketResult) -> str:
    """The cheapest brand and our relative price."""
    ours = r.ours
    if _single_brand(r):
        return f"{_h(r.our_brand)} is the only brand, so its price is the market's average."
    priced = r.brands.dropna(subset=["relative_price"])
    if priced.empty:
        return "No brand reports units in the last year, so prices cannot be compared."
    cheapest = priced.sort_values("relative_price").iloc[0]
    if cheapest["brand"] == r.our_brand:
        return f"{_h(r.our_brand)} is the cheapest brand at {_times(ours['relative_price'])} the market's average price."
    mine = _times(ours["relative_price"]) if np.isfinite(ours["relative_price"]) else "an unknown multiple (no units)"
    return (f"{_h(cheapest['brand'])} is the cheapest brand at {_times(cheapest['relative_price'])} the market's average "
            f"price; {_h(r.our_brand)} sells at {mine}.")


# --------------------------------------------------------------------------- regions


def region_sentence(r: MarketResult) -> str:
    """The fastest-growing region and the range of our share across regions."""
    regions = r.regions
    if _single_region(r):
        return f"All the data is one region ({_h(regions['region'].iloc[0])}): our share there is {fmt.pct(regions['our_share'].iloc[0])}."
    spread = f"our share ranges from {fmt.pct(regions['our_share'].min())} to {fmt.pct(regions['our_share'].max())} across regions"
    fastest = _fastest(r)
    if fastest is None:
        return f"{spread[0].upper()}{spread[1:]}; regional growth needs two years of data."
    return f"{_h(fastest['region'])} grows fastest ({fmt.pct(fastest['yoy_growth'], signed=True)}); {spread}."


def priority_sentence(r: MarketResult) -> str:
    """The region ranked first and what closing its share gap is worth (or why no region has a gap)."""
    top = r.priority
    if _no_gap(r):
        if _single_brand(r):
            return ("With no competitor in the data there is no share gap to close; set target_share to rank regions "
                    "by a target share.")
        return "No region has a share gap to close: we hold the target share or more everywhere."
    gap = (f"closing the gap from {fmt.pct(top['our_share'])} to {fmt.pct(top['target_share'])} share is worth "
           f"{fmt.money(top['priority_score'])} a year")
    if _single_region(r):
        return f"{_h(top['region'])} is the only region: {gap}."
    return f"{_h(top['region'])} ranks first: {gap}."


def region_map_title(r: MarketResult) -> str:
    return "Regions: market growth against our share" if r.has_prior_year else "Regions: market size against our share"


def priority_title(r: MarketResult) -> str:
    return "Regional priority: revenue at stake from closing the share gap"


# --------------------------------------------------------------------------- seasonality


def seasonality_sentence(r: MarketResult) -> str:
    """Peak and trough months with their size, called strong, moderate or weak by the seasonal strength."""
    s = r.seasonality
    if s is None:
        return (f"Seasonality needs two years of periods with revenue (two seasonal cycles); this panel has "
                f"{fmt.plural(len(r.series), r.freq.unit)}.")
    kind = season_class(r)
    if kind == "weak":
        return (f"Demand shows little seasonal pattern (strength {fmt.ratio(s.strength)}, below {fmt.ratio(SEASON_WEAK)}): "
                f"the monthly index moves between {fmt.pct(s.trough, 0, signed=True)} and {fmt.pct(s.peak, 0, signed=True)}.")
    return (f"Demand peaks in {fmt.join(s.peak_months)} ({fmt.pct(s.peak, 0, signed=True)} above trend in "
            f"{s.peak_months[0]}) and is lowest in {s.trough_month} ({fmt.pct(s.trough, 0, signed=True)}); the seasonal "
            f"pattern is {kind} (strength {fmt.ratio(s.strength)}).")


def seasonality_title(r: MarketResult) -> str:
    s = r.seasonality
    if season_class(r) == "weak":
        return "Seasonality: little seasonal pattern"
    return f"Seasonality: {s.peak_months[0]} is the peak, {s.trough_month} the trough"


# --------------------------------------------------------------------------- forecast


def forecast_sentence(r: MarketResult) -> str:
    """What the model expects over the horizon and in its last period, with intervals (or why there is no forecast)."""
    fc = r.forecast
    if fc is None:
        return ("No forecast: it needs two years of periods with revenue (two seasonal cycles) and forecast_periods "
                "of at least 1.")
    t = fc.table
    total = (f" ({fmt.interval_label(r.interval)} {fmt.interval(fc.total_lower, fc.total_upper, fmt.money)})"
             if fc.total_calibrated else "")
    return (f"The model expects {fmt.money(fc.total)} over the next {fmt.plural(fc.horizon, r.freq.unit)}{total}; "
            f"{fmt.date(t['period'].iloc[-1], 'month')} alone is forecast at {fmt.money(t['mean'].iloc[-1])} "
            f"({fmt.interval_label(r.interval)} {fmt.interval(t['lower'].iloc[-1], t['upper'].iloc[-1], fmt.money)}).")


def forecast_title(r: MarketResult) -> str:
    return f"Market forecast for the next {fmt.plural(r.forecast.horizon, r.freq.unit)}"


def forecast_note(r: MarketResult) -> str:
    """How to read the forecast chart: what the band is and how well past forecasts did."""
    fc, bt, unit, mass = r.forecast, r.backtest, r.freq.unit, fmt.mass(r.interval)
    text = (f"Grey is what happened; blue is the forecast with its {fmt.interval_label(r.interval, 'prediction interval')}, "
            f"the band a single {unit} should fall in {mass} of the time. ")
    if fc.interval_method == "conformal":
        text += (f"The band is calibrated on {bt.origins} past forecasts: made from past {unit}s and compared with what "
                 f"happened, they fell inside it {fmt.pct(bt.coverage_calibrated, 0)} of the time; the model's own interval "
                 f"(dotted) caught only {fmt.pct(bt.coverage_model, 0)}. ")
    else:
        why = "no backtest ran to calibrate it" if bt is None else "too few past forecasts to calibrate it"
        text += f"The band is the model's own interval, which tends to be too narrow ({why}). "
    if bt is not None:
        text += (f"The dashed line is one of those past forecasts; across all of them the forecast missed by "
                 f"{fmt.pct(bt.mape)} on average, against {fmt.pct(bt.seasonal_naive_mape)} for 'same {unit} last year'.")
    return text


def calibration_banner(r: MarketResult) -> str | None:
    """A warning when the published interval is known or likely to be too narrow; ``None`` otherwise."""
    fc, bt, mass = r.forecast, r.backtest, fmt.mass(r.interval)
    if fc is None:
        return None
    if bt is None:
        return (f"No backtest ran, so the forecast shows the model's own {mass} interval, which treats its estimates "
                "as known: treat the band as too narrow and widen your planning range.")
    if fc.interval_method != "conformal":
        return (f"The backtest has too few origins to calibrate the interval, so the model's own interval is shown; it "
                f"caught {fmt.pct(bt.coverage_model, 0)} of past outcomes against a nominal {mass}: treat the forecast "
                "band as too narrow and widen your planning range.")
    if bt.coverage_calibrated < r.interval - COVERAGE_SHORTFALL:
        return (f"Even the calibrated interval caught only {fmt.pct(bt.coverage_calibrated, 0)} of past outcomes against "
                f"a nominal {mass}: treat the forecast band as too narrow and widen your planning range.")
    return None


def backtest_sentence(r: MarketResult) -> str:
    """How far past forecasts missed, one period and the whole horizon ahead, and their coverage."""
    bt, unit = r.backtest, r.freq.unit
    bh = bt.by_horizon
    calibrated = r.forecast.interval_method == "conformal"
    return (f"Past forecasts missed by {fmt.pct(bh['mape'].iloc[0])} one {unit} ahead and "
            f"{fmt.pct(bh['mape'].iloc[-1])} {fmt.plural(bh['horizon'].iloc[-1], unit)} ahead; the model's own "
            f"{fmt.interval_label(r.interval)} caught {fmt.pct(bt.coverage_model, 0)} of outcomes"
            + (f", the calibrated one {fmt.pct(bt.coverage_calibrated, 0)}." if calibrated else "."))


def backtest_title(r: MarketResult) -> str:
    return "Backtest error by horizon"


# --------------------------------------------------------------------------- breakdowns


def breakdown_sentence(r: MarketResult, column: str) -> str:
    """The largest value of ``column`` (category, channel) and where our share is highest."""
    tab = r.breakdowns[column]
    big = tab.iloc[0]
    if len(tab) == 1:
        return f"All revenue is in one {column} ({_h(big[column])}); our share there is {fmt.pct(big['our_share'])}."
    best = tab.dropna(subset=["our_share"]).sort_values("our_share", ascending=False).iloc[0]
    return (f"{_h(big[column])} is the largest {column} ({fmt.pct(big['size_share'], 0)} of revenue); "
            f"our share is highest in {_h(best[column])} ({fmt.pct(best['our_share'])}).")


def breakdown_title(r: MarketResult, column: str) -> str:
    return f"Market by {column}, {window(r)}"


# --------------------------------------------------------------------------- brief


def brief(r: MarketResult) -> list[dict]:
    """Brief lines for the weekly brief: the priority-region decision with its evidence and risks (plain text)."""
    top = r.priority
    name = label(top["region"])
    trend = r.region_trend[top["region"]]
    if _no_gap(r):
        decision = "Hold position: no region has a share gap to close"
    elif _single_region(r):
        decision = (f"Close the share gap in {name}: {fmt.money(top['priority_score'])} a year at stake if we reach "
                    f"{fmt.pct(top['target_share'], 0)} share (we hold {fmt.pct(top['our_share'])})")
    else:
        decision = (f"Go after {name} first: {fmt.money(top['priority_score'])} a year at stake if we reach "
                    f"{fmt.pct(top['target_share'], 0)} share there (we hold {fmt.pct(top['our_share'])})")
    growth = (f"{name}'s market grows {fmt.pct(trend.rate, signed=True)} a year ({ci(r)} "
              f"{fmt.interval(trend.lower, trend.upper, fmt.pct, signed=True)})" if trend.known else f"{name}'s growth rate is unknown")
    yoy = f", {fmt.pct(top['yoy_growth'], signed=True)} YoY" if np.isfinite(top["yoy_growth"]) else ""
    evidence = f"priority score {fmt.money(top['priority_score'])} (next year's market × share gap); {growth}{yoy}"
    return [{
        "kind": "priority_region",
        "decision": decision,
        "evidence": evidence,
        "risk": "; ".join(brief_risks(r)) or "none flagged",
        "section": SECTIONS["regions"],
        "money_at_stake": float(top["priority_score"]),
    }]


def brief_risks(r: MarketResult) -> list[str]:
    """What would make the priority call wrong, from the analysis's own checks."""
    top = r.priority
    name = label(top["region"])
    trend = r.region_trend[top["region"]]
    out = []
    if not trend.known:
        out.append(f"no growth rate for {name} (too few periods with revenue)")
    elif trend.sign == 0:
        out.append(f"{name}'s growth interval includes 0")
    elif trend.sign < 0:
        out.append(f"{name}'s market is shrinking")
    if len(r.regions) > 1 and top["priority_score"] > 0:
        second = r.regions.iloc[1]
        if second["priority_score"] >= (1 - PRIORITY_CLOSE) * top["priority_score"]:
            out.append(f"{label(second['region'])} is within {fmt.pct(PRIORITY_CLOSE, 0)} of the score "
                       f"({fmt.money(second['priority_score'])})")
    mine = [w for w in r.warnings if re.match(rf"region {re.escape(str(top['region']))}[ ,:(]", w.rows)]
    if mine:
        out.append(f"{fmt.plural(len(mine), 'data warning')} on {name}")
    if not r.has_prior_year:
        out.append("under two years of data: growth counts as 0 in the score")
    return out


# --------------------------------------------------------------------------- appendix


def glossary(r: MarketResult) -> dict[str, str]:
    """The terms the report uses, in plain words."""
    win = r.freq.window_label
    return {
        "Last 12 months": f"The last year of periods in the data ({win}), compared with the year of periods before it.",
        "YoY growth": "Revenue of the last year ÷ revenue of the year before − 1.",
        "CAGR": "Compound annual growth rate: the yearly rate that turns the first year's revenue into the last year's.",
        "Underlying (trend) growth": "The yearly growth rate once the seasonal pattern is removed, estimated from every "
                                     "period by a regression of log revenue on time and calendar month.",
        "Confidence interval": f"The range that holds the true underlying growth rate with {fmt.mass(r.interval)} "
                               "confidence, given the model.",
        "pp (percentage points)": "The difference of two percentages: a share moving from 20% to 22% is +2 pp.",
        "Share of growth": "A brand's revenue change ÷ the market's revenue change.",
        "Relative share": "A brand's share ÷ the share of its largest competitor.",
        "Relative price": "A brand's revenue per unit ÷ the market's revenue per unit (1.00× = market average).",
        "HHI": "Herfindahl–Hirschman index: 10,000 × the sum of squared shares; 10,000 is a monopoly.",
        "Headroom": "Market revenue × the gap between the target share and our share, in today's market.",
        "Priority score": "Headroom in next year's market: revenue × (1 + YoY growth) × share gap.",
        "STL": "Seasonal-trend decomposition by LOESS: splits revenue into trend, season and remainder.",
        "Seasonal index": "How far a calendar month sits above or below the trend on average (1.00 = the trend).",
        "Seasonal strength": "0–1: how much of the non-trend variation the seasonal pattern explains.",
        "ETS": "Exponential smoothing (error, trend, season) state-space model used for the forecast.",
        "Prediction interval": f"The band a single future period should fall in {fmt.mass(r.interval)} of the time.",
        "Backtest": "Forecasts made from past periods with only the data known then, compared with what happened.",
        "MAPE": "Mean absolute percentage error: the average miss of a forecast, as a share of the actual.",
        "Seasonal naive": "The benchmark forecast 'same period last year'.",
        "Coverage": "The share of past outcomes that fell inside the interval; it should match the interval's mass.",
        "Conformal calibration": "Widening the model's interval to the size past forecast errors actually needed.",
        "AICc": "Corrected Akaike information criterion: lower is a better trade-off of fit and complexity.",
        "Newey–West errors": "Standard errors that allow the regression's residuals to be autocorrelated.",
    }


def thresholds() -> dict[str, str]:
    """The rules' thresholds, for the appendix."""
    return {
        "Strong seasonal swing": f"seasonal strength ≥ {fmt.ratio(SEASON_STRONG)}",
        "Little seasonality": f"seasonal strength < {fmt.ratio(SEASON_WEAK)}",
        "Growth called up or down": "the whole confidence interval of the trend growth is above or below 0",
        "Moderately concentrated": f"HHI above {fmt.count(HHI_MODERATE)}",
        "Highly concentrated": f"HHI above {fmt.count(HHI_HIGH)}",
        "Runner-up region close": f"priority score within {fmt.pct(PRIORITY_CLOSE, 0)} of the first region's",
        "Interval flagged too narrow": f"calibrated coverage more than {fmt.number(100 * COVERAGE_SHORTFALL)} percentage "
                                       "points below the interval's mass",
    }


def scope(r: MarketResult) -> str:
    """The report's opening scope line: the panel's revenue of every brand, whose buyers, first to last period."""
    measure = f"revenue as the market panel records it ({r.freq.name} periods), every brand's sales, our brand {r.our_brand}"
    who = f"the buyers of {fmt.plural(len(r.brands), 'brand')} in {fmt.plural(len(r.regions), 'region')}"
    return fmt.scope(measure, who, r.first_period, r.last_period)
