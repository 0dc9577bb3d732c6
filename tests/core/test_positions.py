from hypothesis import given
from hypothesis import strategies as st

from backend_audit.syntax.positions import LineIndex, Position, convert_column, utf16_len


def test_utf16_columns_count_surrogate_pairs():
    text = "x = '😀é'; y\n"
    index = LineIndex(text.encode())
    y = text.index("y")
    offset = len(text[:y].encode())
    # 😀 is two UTF-16 units, é one.
    assert index.position(offset) == Position(0, y + 1)
    assert index.offset(Position(0, y + 1)) == offset


def test_convert_column_between_encodings():
    line = "a😀b"
    assert convert_column(line, 3, "utf-16", "utf-8") == 5  # a(1) + 😀(4)
    assert convert_column(line, 5, "utf-8", "utf-32") == 2
    assert convert_column(line, 2, "utf-32", "utf-16") == 3
    assert convert_column(line, 99, "utf-16", "utf-8") == len(line.encode())


def test_positions_past_the_end_are_clamped():
    index = LineIndex(b"ab\ncd")
    assert index.offset(Position(1, 10)) == 5
    assert index.offset(Position(7, 0)) == 5


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_offset_position_round_trip(text):
    source = text.encode()
    index = LineIndex(source)
    for i, char in enumerate(text):
        offset = len(text[:i].encode())
        pos = index.position(offset)
        assert index.offset(pos) == offset
        line_start = text.rfind("\n", 0, i) + 1
        assert pos.character == utf16_len(text[line_start:i])
        del char
