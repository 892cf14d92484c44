"""Error messages stay one short line, and name lists say how many they left out."""
import pytest

from capplan.errors import MAX_MESSAGE, CapplanError, name_list


def test_name_list_short_and_long():
    assert name_list(["a", "b", "c"]) == "a, b, c"
    assert name_list([]) == "(none)"
    names = [f"col{i}" for i in range(17)]
    # 17 names, 5 shown: 12 left out.
    assert name_list(names) == "col0, col1, col2, col3, col4 and 12 more"
    assert name_list(names, limit=3) == "col0, col1, col2 and 14 more"
    assert name_list(names, limit=17) == ", ".join(names)


def test_name_list_cuts_each_name_and_flattens_lines():
    out = name_list(["x" * 10_000, "two\nlines"], width=40)
    first, second = out.split(", ")
    assert len(first) == 40 and first.startswith("xxx") and " ... " in first
    assert second == "two lines"
    with pytest.raises(ValueError):
        name_list(["a"], limit=0)


def test_error_is_one_line_and_capped_keeping_start_and_end():
    msg = "data.csv: unknown column " + ", ".join(f"c{i}" for i in range(20_000)) + ": use --value-column"
    err = CapplanError(msg)
    assert len(str(err)) == MAX_MESSAGE
    assert str(err).startswith("data.csv: unknown column c0")
    assert str(err).endswith(": use --value-column")
    assert "\n" not in str(CapplanError("a\nb\n\nc")) and str(CapplanError("a\nb")) == "a b"
    assert str(CapplanError("short")) == "short"
