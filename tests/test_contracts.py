import pandas as pd
import pytest

from playbook.contracts import CONTRACTS, ContractError, contract, describe_requirement, parse_requirement, satisfied, validate


def orders(**overrides):
    data = {
        "order_id": ["o1", "o2", "o3"],
        "customer_id": ["c1", "c2", "c1"],
        "order_date": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "revenue": [10.0, 20.0, 5.5],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_valid_frame_is_returned_typed():
    out = validate(orders(), contract("orders"), "orders.csv")
    assert pd.api.types.is_datetime64_any_dtype(out["order_date"])
    assert out["revenue"].sum() == pytest.approx(35.5)


def test_error_names_file_column_rule_and_rows_with_line_numbers():
    with pytest.raises(ContractError) as info:
        validate(orders(revenue=[10.0, -3.0, 5.0]), contract("orders"), "data/orders.csv")
    msg = str(info.value)
    assert "data/orders.csv" in msg
    assert "column: revenue" in msg and "must be >= 0" in msg
    # the offending row is the second data row: line 3 of the file (line 1 is the header)
    assert info.value.violations[0].rows["line"].tolist() == [3]
    assert "o2" in msg


def test_every_broken_rule_is_reported_at_once():
    bad = orders(order_id=["o1", "o1", "o3"], order_date=["2024-01-01", "01/02/2024", "2024-01-03"])
    with pytest.raises(ContractError) as info:
        validate(bad, contract("orders"))
    rules = {(v.column, v.rule) for v in info.value.violations}
    assert ("order_id", "must be unique") in rules
    assert ("order_date", "must be an ISO date (YYYY-MM-DD)") in rules


def test_missing_required_column_lists_what_the_file_has():
    with pytest.raises(ContractError, match="required column.*missing.*order_id, customer_id, order_date"):
        validate(orders().drop(columns="revenue"), contract("orders"))


def test_column_names_must_be_snake_case():
    with pytest.raises(ContractError, match="snake_case"):
        validate(orders().rename(columns={"revenue": "Revenue"}), contract("orders"))


def test_empty_value_and_non_numeric_are_violations():
    with pytest.raises(ContractError, match="must not be empty"):
        validate(orders(customer_id=["c1", None, "c2"]), contract("orders"))
    with pytest.raises(ContractError, match="must be a number"):
        validate(orders(revenue=["10", "ten", "3"]), contract("orders"))


def test_binary_and_weekly_and_prefixed_rules():
    exp = pd.DataFrame({"unit_id": ["u1", "u2"], "variant": ["A", "B"], "converted": [0, 2], "revenue": [0.0, 1.0]})
    with pytest.raises(ContractError, match="must be 0 or 1"):
        validate(exp, contract("experiment"))
    mmm = pd.DataFrame({"date": ["2024-01-01", "2024-01-08", "2024-01-22"], "revenue": [1, 2, 3], "spend_tv": [1.0, -1.0, 0.0]})
    with pytest.raises(ContractError, match="spend_tv"):
        validate(mmm, contract("mmm"))
    mmm["spend_tv"] = [1.0, 1.0, 0.0]
    with pytest.raises(ContractError, match="weekly"):
        validate(mmm, contract("mmm"))
    with pytest.raises(ContractError, match=r"spend_<name>"):
        validate(mmm.drop(columns="spend_tv"), contract("mmm"))


def test_unique_together_and_cross_column_checks():
    market = pd.DataFrame({"period": ["2024-01-01"] * 2, "region": ["n"] * 2, "brand": ["x"] * 2, "revenue": [1, 2], "units": [1, 1]})
    with pytest.raises(ContractError, match="each combination must appear once"):
        validate(market, contract("market"))
    summary = pd.DataFrame({"variant": ["A", "B"], "units": [100, 100], "conversions": [10, 120]})
    with pytest.raises(ContractError, match=r"conversions\n.*must be <= units"):
        validate(summary, contract("experiment_summary"))


def test_requirements_expressions():
    assert parse_requirement("funnel|paths|touchpoints+conversions") == [["funnel"], ["paths"], ["touchpoints", "conversions"]]
    assert satisfied("funnel|touchpoints+conversions", {"touchpoints", "conversions"}) == ["touchpoints", "conversions"]
    assert satisfied("funnel|touchpoints+conversions", {"touchpoints"}) is None
    assert describe_requirement("experiment|experiment_summary") == "experiment.csv or experiment_summary.csv"
    with pytest.raises(KeyError, match="no data contract named 'nope'"):
        parse_requirement("nope")


def test_every_contract_lists_required_columns_first():
    for c in CONTRACTS.values():
        flags = [col.required for col in c.columns]
        assert flags == sorted(flags, reverse=True), c.name


def _market(brands):
    n = len(brands)
    return pd.DataFrame({"period": ["2024-01-01", "2024-02-01"] * (n // 2) + ["2024-01-01"] * (n % 2),
                         "region": [f"r{i}" for i in range(n)], "brand": brands,
                         "revenue": [1.0] * n, "units": [1.0] * n})


def test_spellings_of_one_label_are_refused_with_their_row_counts():
    with pytest.raises(ContractError) as err:
        validate(_market(["Bolt", "BOLT", "Bolt", "Acme"]), contract("market"), "market.csv")
    text = str(err.value)
    assert "column: brand" in text and "'Bolt' (2 rows), 'BOLT' (1 row)" in text and "merge_label_variants=true" in text


def test_spellings_are_merged_into_the_most_frequent_when_asked():
    from playbook.contracts import label_merges

    out = validate(_market(["Bolt", "BOLT", "bolt ", "Bolt", "Acme"]), contract("market"), "market.csv", merge_label_variants=True)
    assert out["brand"].tolist() == ["Bolt"] * 4 + ["Acme"]
    (merge,) = label_merges(out)
    assert (merge.column, merge.into, merge.rows) == ("brand", "Bolt", 2) and set(merge.spellings) == {"Bolt", "BOLT", "bolt"}


def test_labels_inside_paths_and_open_segment_columns_are_checked():
    paths = pd.DataFrame({"path": ["Search > email", "search > email"], "conversions": [1, 2], "value": [1, 1], "nulls": [0, 0]})
    with pytest.raises(ContractError, match="'Search' \\(1 row\\), 'search' \\(1 row\\)"):
        validate(paths, contract("paths"), "paths.csv")
    merged = validate(paths, contract("paths"), "paths.csv", merge_label_variants=True)
    assert merged["path"].tolist() == ["Search > email", "Search > email"]
    exp = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "variant": ["A", "B", "A"], "converted": [0, 1, 0],
                        "revenue": [0.0, 5.0, 0.0], "device": ["Mobile", "mobile", "desktop"]})
    with pytest.raises(ContractError, match="column: device"):
        validate(exp, contract("experiment"), "experiment.csv")


def test_distinct_labels_are_left_alone():
    out = validate(_market(["Acme", "Bolt", "Corex"]), contract("market"), "market.csv")
    assert out.attrs["label_merges"] == []


def test_market_needs_two_periods_a_month_or_a_week_apart():
    one = pd.DataFrame({"period": ["2024-01-01"] * 2, "region": ["n", "s"], "brand": ["x"] * 2, "revenue": [1, 2], "units": [1, 1]})
    with pytest.raises(ContractError, match=r"column: period\n.*at least two distinct periods.*found 1 distinct period"):
        validate(one, contract("market"), "market.csv")
    yearly = one.assign(period=["2024-01-01", "2025-01-01"])  # each the 1st of a month, but a year apart
    with pytest.raises(ContractError, match="neither a month nor a week"):
        validate(yearly, contract("market"), "market.csv")
    daily = one.assign(period=["2024-01-01", "2024-01-02"])  # refused first for not starting its month
    with pytest.raises(ContractError, match="first day of the month or week"):
        validate(daily, contract("market"), "market.csv")
    weekly = pd.concat([one, one]).assign(period=["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-29"], region=list("nsew"))
    assert len(validate(weekly, contract("market"), "market.csv")) == 4  # a missing week is fine


def test_companion_columns_go_together_with_a_clear_message():
    from playbook.contracts import Column, Companions, Contract

    totals = Contract(
        "totals", "Per-arm totals.",
        (Column("arm", "str"), Column("units", "int"), Column("value_sum", "float", required=False),
         Column("value_sum_sq", "float", required=False)),
        companions=(Companions(("value_sum", "value_sum_sq"), hint="export SUM(value * value) per arm, or drop value_sum"),),
    )
    frame = pd.DataFrame({"arm": ["a", "b"], "units": [10, 12], "value_sum": [5.0, 7.0]})
    with pytest.raises(ContractError) as err:
        validate(frame, totals, "totals.csv")
    (v,) = err.value.violations
    assert v.column == "value_sum_sq"
    assert v.rule == ("value_sum and value_sum_sq go together: the file has value_sum but not value_sum_sq; "
                      "export SUM(value * value) per arm, or drop value_sum")
    # neither, or both, is fine
    validate(frame.drop(columns="value_sum"), totals)
    validate(frame.assign(value_sum_sq=[9.0, 11.0]), totals)


def test_data_readme_states_every_companion_rule():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text()
    for c in CONTRACTS.values():
        section = text.split(f"### `{c.name}.csv`")[1].split("\n### ")[0]
        for group in c.companions:
            words = " and ".join(f"`{col}`" for col in group.columns)
            assert f"{words} go together" in section, (c.name, group.columns)


def _panel(periods, regions=("north", "south"), brands=("Acme", "Bolt")):
    rows = [(p, r, b) for p in periods for r in regions for b in brands]
    frame = pd.DataFrame(rows, columns=["period", "region", "brand"])
    return frame.assign(revenue=10.0, units=1.0)


def test_offending_rows_show_the_identifying_columns_of_the_file():
    frame = _panel(["2024-01-01", "2024-02-01"])
    frame.loc[3, "revenue"] = -5.0
    with pytest.raises(ContractError) as err:
        validate(frame, contract("market"), "market.csv")
    rows = err.value.violations[0].rows
    assert list(rows.columns) == ["line", "period", "region", "brand", "revenue"]
    assert rows.iloc[0][["line", "region", "brand"]].tolist() == [5, "south", "Bolt"]


def test_market_periods_must_start_their_month_or_week():
    monthly = _panel(["2024-01-01", "2024-02-01", "2024-03-15"])
    with pytest.raises(ContractError) as err:
        validate(monthly, contract("market"), "market.csv")
    (v,) = err.value.violations
    assert v.column == "period" and "first day of the month or week" in v.rule and "monthly" in v.rule
    assert v.count == 4 and set(v.rows["period"].astype(str).str[:10]) == {"2024-03-15"}
    assert "brand" in v.rows.columns
    # a weekly panel: every period on one weekday (here Mondays), whatever the day of the month
    validate(_panel(["2024-01-01", "2024-01-08", "2024-01-15"]), contract("market"))
    validate(_panel(["2024-01-07", "2024-01-14"]), contract("market"))  # Sundays start the week, too
    with pytest.raises(ContractError, match="weekly \\(most periods are Mondays\\)"):
        validate(_panel(["2024-01-08", "2024-01-15", "2024-01-22", "2024-01-24"]), contract("market"))


def test_merged_spellings_that_collide_are_refused():
    frame = _market(["Bolt", "BOLT", "Bolt"]).assign(region="north", period=["2024-01-01", "2024-01-01", "2024-02-01"])
    # Bolt and BOLT both report north in January: merged, they would be one brand twice
    with pytest.raises(ContractError, match=r"each combination must appear once \(after merging spellings of brand\)"):
        validate(frame, contract("market"), "market.csv", merge_label_variants=True)
    summary = pd.DataFrame({"variant": ["A", "a", "B"], "units": [10, 10, 10], "conversions": [1, 1, 1]})
    with pytest.raises(ContractError, match=r"must be unique \(after merging spellings of variant\)"):
        validate(summary, contract("experiment_summary"), merge_label_variants=True)


def test_segment_columns_list_their_spellings_with_row_counts():
    exp = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u4"], "variant": ["A", "B", "A", "B"], "converted": [0, 1, 0, 0],
                        "revenue": [0.0, 5.0, 0.0, 0.0], "device": ["Mobile", "mobile", "Mobile", "desktop"]})
    with pytest.raises(ContractError) as err:
        validate(exp, contract("experiment"), "experiment.csv")
    (v,) = err.value.violations
    assert v.column == "device" and "'Mobile' (2 rows), 'mobile' (1 row)" in v.rule
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "plan": ["VIP", "vip", "basic"]})
    with pytest.raises(ContractError, match=r"column: plan\n.*'VIP' \(1 row\), 'vip' \(1 row\)"):
        validate(customers, contract("customers"), "customers.csv")
