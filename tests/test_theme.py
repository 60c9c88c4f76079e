import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from playbook import theme  # noqa: E402


def _labels(ax, axis="x"):
    ax.figure.canvas.draw()
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def test_money_axis_uses_one_scale_for_every_tick():
    fig, ax = plt.subplots()
    ax.plot([0, 20_000], [0, 1])
    theme.money_axis(ax, "x")
    labels = [t for t in _labels(ax) if t]
    assert labels and all(t.endswith("k") or t in ("\\$0", "-\\$0") for t in labels), labels
    plt.close(fig)


def test_pct_axis_labels_fractions_as_percentages_without_repeats():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 0.05])
    theme.pct_axis(ax, "y", decimals=0)
    labels = [t for t in _labels(ax, "y") if t]
    assert all(t.endswith("%") for t in labels) and len(labels) == len(set(labels))
    plt.close(fig)
    with pytest.raises(ValueError):
        theme.pct_axis(ax, "z")


def test_color_map_is_stable_and_highlights_ours():
    a = theme.color_map(["b", "a", "c"], highlight="a")
    assert a["a"] == theme.COLORS["ours"] and theme.color_map(["c", "b", "a"], highlight="a") == a


def test_apply_sets_retina_figures_and_a_minimum_font_size():
    theme.apply()
    rc = matplotlib.rcParams
    assert theme.FIGURE_FORMAT == "retina"
    for key in ("legend.fontsize", "xtick.labelsize", "ytick.labelsize", "axes.labelsize", "axes.titlesize"):
        assert float(rc[key]) >= theme.MIN_FONT_PT, key
