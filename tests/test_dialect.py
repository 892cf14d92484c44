"""The delimiter of a delimited export, worked out by hand for the shapes that split evenly on
more than one candidate."""
import pytest

from capplan.ingest import dialect, read_traffic


@pytest.mark.parametrize("lines, expected", [
    # headerless, decimal commas: splits in two on ',' too, but into text ("...00;10")
    (["2020-01-01T00:00:00;10,5", "2020-01-01T00:01:00;11,5"], ";"),
    (["2020-01-01T00:00:00,10.5", "2020-01-01T00:01:00,11.5"], ","),
    (["timestamp;value", "2020-01-01T00:00:00;10,5"], ";"),
    (["time\tname, with a comma\tvalue", "2020-01-01\tweb, eu\t4"], "\t"),
    (["2020-01-01 00:00|7", "2020-01-01 00:01|8"], "|"),
    (["a,b", "x,y"], ","),  # nothing reads as data: the comma, as before
])
def test_delimiter(lines, expected):
    assert dialect._sniff_delimiter(lines) == expected


def test_headerless_semicolon_with_decimal_commas_is_read(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("2020-01-01T00:00:00;10,5\n2020-01-01T00:01:00;11,5\n"
                    "2020-01-01T00:02:00;12,5\n2020-01-01T00:03:00;10,5\n")
    t = read_traffic(path)
    assert t.rate.tolist() == [10.5, 11.5, 12.5, 10.5]
    assert t.source.format == "csv (;)"
