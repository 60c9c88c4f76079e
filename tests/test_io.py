import pandas as pd
import pytest

from playbook import io
from playbook.contracts import ContractError, MissingInputError


def test_parquet_wins_over_csv_and_loads_validated(orders_dir):
    df = pd.read_csv(orders_dir / "orders.csv")
    df.assign(revenue=df.revenue * 2).to_parquet(orders_dir / "orders.parquet")
    assert io.find("orders", orders_dir).suffix == ".parquet"
    loaded = io.load("orders", orders_dir)
    assert loaded.revenue.sum() == pytest.approx(2 * df.revenue.sum())
    assert pd.api.types.is_datetime64_any_dtype(loaded.order_date)


def test_missing_and_optional_inputs(orders_dir):
    assert io.load_optional("customers", orders_dir) is None
    with pytest.raises(MissingInputError, match="customers.csv.*found orders.csv"):
        io.load("customers", orders_dir)


def test_check_requirements_names_the_notebook(orders_dir):
    assert set(io.check_requirements(["orders"], orders_dir)) == {"orders"}
    with pytest.raises(MissingInputError, match=r"funnel.csv or paths.csv .*for notebook 'attribution'"):
        io.check_requirements(["funnel|paths"], orders_dir, purpose="notebook 'attribution'")


def test_check_requirements_returns_every_present_file_it_names(orders_dir):
    (orders_dir / "customers.csv").write_text("customer_id\nc1\n")
    (orders_dir / "paths.csv").write_text("path,conversions,value,nulls\na > b,1,2,3\n")
    files = io.check_requirements(["orders|experiment", "funnel|paths"], orders_dir, optional=["customers", "lift_tests"])
    assert set(files) == {"orders", "paths", "customers"}


def test_unreadable_file_is_a_contract_error(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ContractError, match="orders.csv"):
        io.load("orders", tmp_path)


def test_load_yaml(tmp_path):
    assert io.load_yaml("kpi_targets.yaml", tmp_path) is None
    (tmp_path / "kpi_targets.yaml").write_text("search:\n  cpa: 40\n")
    assert io.load_yaml("kpi_targets.yaml", tmp_path) == {"search": {"cpa": 40}}
    (tmp_path / "kpi_targets.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ContractError, match="YAML mapping"):
        io.load_yaml("kpi_targets.yaml", tmp_path)


def test_large_csv_goes_through_duckdb(orders_dir, monkeypatch):
    monkeypatch.setattr(io, "DUCKDB_THRESHOLD_BYTES", 10)
    df = io.read_table(orders_dir / "orders.csv")
    assert len(df) == 4 and list(df.columns) == ["order_id", "customer_id", "order_date", "revenue"]


def test_rows_until_cuts_at_the_observation_end_and_normalizes_dates():
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-01 09:30", "2024-01-05 00:00", "2024-02-01 00:00"]), "x": [1, 2, 3]})
    rows, end = io.rows_until(orders, "2024-01-05", "order_date")
    assert end == pd.Timestamp("2024-01-05") and rows["x"].tolist() == [1, 2]
    assert rows["order_date"].iloc[0] == pd.Timestamp("2024-01-01")
    assert io.rows_until(orders, None, "order_date")[1] == pd.Timestamp("2024-02-01")
    with pytest.raises(ValueError, match="no orders on or before observation_end 2023-12-31"):
        io.rows_until(orders, "2023-12-31", "order_date")


def test_load_merges_label_spellings_and_names_them_as_warnings(tmp_path):
    pd.DataFrame({"period": ["2024-01-01", "2024-02-01"], "region": ["n", "s"], "brand": ["Bolt", "BOLT"],
                  "revenue": [1.0, 2.0], "units": [1.0, 1.0]}).to_csv(tmp_path / "market.csv", index=False)
    frame = io.load("market", tmp_path, merge_label_variants=True)
    (warning,) = io.loaded_warnings(frame, None)
    assert warning.file == "market.csv" and "'BOLT'" in warning.assumption and "merged into" in warning.action
    pd.DataFrame({"period": ["2024-01-01", "2024-02-01"], "region": ["n"] * 2, "brand": ["Bolt"] * 2, "revenue": [1.0] * 2,
                  "units": [1.0] * 2}).to_csv(
        tmp_path / "market.csv", index=False)
    assert io.loaded_warnings(io.load("market", tmp_path, merge_label_variants=True)) == []


def _orders_with_text_ids(folder):
    (folder / "orders.csv").write_text(
        "order_id,customer_id,order_date,revenue,channel\n"
        "0001,00001,2024-01-05,10.5,NA\n"
        "0002,00002,2024-01-06,NA,email\n"
        "0003,00001,2024-02-01,7,\n"
    )


def test_identifiers_and_labels_are_read_as_text_by_the_csv_reader(tmp_path):
    _orders_with_text_ids(tmp_path)
    raw = io.read_table(tmp_path / "orders.csv")
    assert raw["customer_id"].tolist() == ["00001", "00002", "00001"] and raw["order_id"].tolist() == ["0001", "0002", "0003"]
    # in a text column only an empty cell is missing ("NA" may be North America); in a number column NA is missing
    assert raw["channel"].tolist()[:2] == ["NA", "email"] and pd.isna(raw["channel"].iloc[2])
    assert pd.isna(raw["revenue"].iloc[1]) and raw["revenue"].iloc[0] == 10.5
    raw.loc[1, "revenue"] = 3.0
    raw.to_csv(tmp_path / "orders.csv", index=False)
    loaded = io.load("orders", tmp_path)
    assert loaded["customer_id"].tolist() == ["00001", "00002", "00001"]
    # written back, the ids are unchanged (personas.csv is written from these values)
    loaded[["customer_id"]].to_csv(tmp_path / "out.csv", index=False)
    assert (tmp_path / "out.csv").read_text().split() == ["customer_id", "00001", "00002", "00001"]


def test_identifiers_are_text_from_parquet_even_when_stored_as_numbers(tmp_path):
    pd.DataFrame({"order_id": ["0001", "0002"], "customer_id": [17, 18], "order_date": ["2024-01-05", "2024-01-06"],
                  "revenue": [1.0, 2.0]}).to_parquet(tmp_path / "orders.parquet")
    loaded = io.load("orders", tmp_path)
    assert loaded["order_id"].tolist() == ["0001", "0002"] and loaded["customer_id"].tolist() == ["17", "18"]
    pd.DataFrame({"customer_id": [1.0, None, 3.0]}).pipe(lambda f: f.assign(age=[30, 40, 50])).to_parquet(tmp_path / "c.parquet")
    assert io.read_table(tmp_path / "c.parquet", "customers")["customer_id"].tolist()[::2] == ["1", "3"]


def test_identifiers_are_text_through_duckdb_too(tmp_path, monkeypatch):
    _orders_with_text_ids(tmp_path)
    monkeypatch.setattr(io, "DUCKDB_THRESHOLD_BYTES", 10)
    raw = io.read_table(tmp_path / "orders.csv")
    assert raw["customer_id"].tolist() == ["00001", "00002", "00001"] and raw["channel"].tolist()[:2] == ["NA", "email"]
    assert pd.isna(raw["revenue"].iloc[1]) and pd.isna(raw["channel"].iloc[2])
