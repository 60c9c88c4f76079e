import nbformat
import pytest
from conftest import ROOT

from playbook.notebooks import ParameterError, discover, parse_value, read_parameters, select


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("false", "bool", False),
        ("True", "bool", True),
        ("yes", "bool", True),
        ("0", "bool", False),
        ("12", "int", 12),
        ("0.25", "float", 0.25),
        ("a, b,c", "list", ["a", "b", "c"]),
        ('["x", 1]', "list", ["x", 1]),
        ('{"tv": [0.7, 1.3]}', "dict", {"tv": [0.7, 1.3]}),
        ("none", "str | None", None),
        ("2024-03-01", "str", "2024-03-01"),
        ("auto", "int | str", "auto"),
        ("4", "int | str", 4),
    ],
)
def test_parse_value_uses_the_declared_type(text, type_, expected):
    assert parse_value(text, type_) == expected


@pytest.mark.parametrize(("text", "type_"), [("maybe", "bool"), ("1.5", "int"), ("x", "float"), ("[1", "dict")])
def test_parse_value_rejects_what_does_not_fit(text, type_):
    with pytest.raises(ParameterError, match="expects"):
        parse_value(text, type_, "p")


def test_date_strings_are_checked_when_the_help_says_date():
    assert parse_value("2024-02-29", "str", "start", "first date (ISO date)") == "2024-02-29"
    with pytest.raises(ParameterError, match="start"):
        parse_value("2024-02-30", "str", "start", "first date (ISO date)")


def _nb(source):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), cell]
    return nb


def test_read_parameters_types_defaults_and_help():
    params = read_parameters(_nb('# comment\nsmoke: bool = False  # shrink it\nlabel: str = "a # b"  # with a hash\nn: int = 3\n'))
    assert list(params) == ["smoke", "label", "n"]
    assert params["smoke"].type == "bool" and params["smoke"].default is False and params["smoke"].help == "shrink it"
    assert params["label"].default == "a # b" and params["label"].help == "with a hash"
    assert params["n"].help == ""


def test_read_parameters_rejects_derived_values_and_missing_tag():
    with pytest.raises(ParameterError, match="literal default"):
        read_parameters(_nb("a: int = 1\nb: int = a * 2  # derived\n"))
    with pytest.raises(ParameterError, match="name: type = literal"):
        read_parameters(_nb("a = 1\n"))
    with pytest.raises(ParameterError, match="tagged 'parameters'"):
        read_parameters(nbformat.v4.new_notebook())


def test_discover_and_select_in_playbook_order(nb_dir):
    found = discover(nb_dir)
    assert list(found) == ["boom", "crash", "hello", "sleepy"]
    assert [nb.name for nb in select(["hello"], found)] == ["hello"]
    assert found["hello"].title == "Hello report" and found["hello"].requires == ["orders"]
    with pytest.raises(ParameterError, match="unknown notebook.*available: boom, crash, hello, sleepy"):
        select(["nope"], found)


def test_notebooks_declare_what_they_produce_and_consume():
    from conftest import ROOT

    nbs = discover(ROOT / "notebooks")
    assert "lift_tests.csv" in nbs["ab_test"].produces and "ab_test.json" in nbs["ab_test"].produces
    assert "lift_tests.csv" in nbs["mmm"].consumes and "mmm.json" in nbs["attribution"].consumes
    produced = {f for nb in nbs.values() for f in nb.produces}
    assert all(f in produced for nb in nbs.values() for f in nb.consumes), "every consumed file has a producer"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_is_thin_formats_no_number_and_types_no_interval_mass(path):
    """The house rule (issue 10): about 100 code lines beyond the parameters, no f-string (a sentence that states
    a number comes from the room's narrative), no interval mass typed into code (fixed how-to-read prose may
    still say "these sum to 100%")."""
    import re

    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    lines = [ln for src in code for ln in src.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(lines) <= 100, f"{path.name}: {len(lines)} code lines"
    assert not [src for src in code if re.search(r"\bf[\"']", src)], f"{path.name}: an f-string in a code cell"
    mass = re.compile(r"\d+ ?% ?(interval|HDI|credible|confidence|CI)\b", re.I)
    assert not [src for src in code if mass.search(src)], f"{path.name}: an interval mass typed into code"
