"""Black's shape, printed before black runs: the folding of long one-line statements, black's
quotes and black's blank lines (see :func:`fold`).

Kept apart from :mod:`.formatting` because it is a small model of black's rules, checked against
black itself (tests/unit/test_black_shape.py, tests/generator/test_fold_equivalence.py): the
output never depends on it, only the time black takes to reach that output does.
"""

from __future__ import annotations

import ast
import re

_OPENING = "([{"
_CLOSING = ")]}"
# Operators that keep black's optional parentheses around a value that holds one outside its
# brackets (`x = a | f(b)` is split inside the parentheses, not at `f(`): not folded here.
_OPERATORS = (" | ", " + ", " - ", " * ", " / ", " % ", " or ", " and ", " if ", " not ", " in ")


def fold(source: str, width: int) -> str:
    """`source` with its long one-line statements split as black splits them, its strings in
    black's quotes and its blank lines where black puts them.

    Templates print each statement on one line and leave the wrapping to the formatter; black
    then searches for each split, and formats the whole module a second time because the first
    pass changed it. Given its own output it formats once and finds nothing to split: half the
    time, or less, on a big schema. Only the shapes whose split is known are split here (an
    import list, the arguments of a call, a subscript or a literal, a class's bases, a
    signature, an assigned value); any other line is left whole for black, so the output is
    black's either way, only cheaper to reach (tests/unit/test_black_shape.py; on the
    300-table schema every module but one comes out as black prints it).

    A fold that would change the code (its syntax tree: a comma that makes a tuple, a bracket
    read wrong) is dropped and `source` returned as it is: this model of black's rules can be
    incomplete, never wrong about the program (about 1 s of CPU on 300 tables).
    """
    if not source.strip():
        return source  # black keeps an empty module empty
    lines = source.split("\n")
    code, inside = _code_lines(lines)
    for number, masked in enumerate(code):
        if masked is not None and ("'" in masked or '"' in masked):
            lines[number] = _requote(lines[number])
            code[number] = _mask(lines[number])
    lines, code = _blank_lines(lines, code, inside)
    out: list[str] = []
    depth = 0  # brackets left open by the lines before: a line inside them is an element
    for line, masked in zip(lines, code, strict=True):
        folded = None
        # (black measures a wide character as two columns: such a line is left to it)
        if masked is not None and len(line) > width and "#" not in masked and line.isascii():
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if _closes_outer(masked):
                folded = None  # it ends brackets opened above: its split is black's to find
            elif depth > 0:
                folded = _element(indent, stripped, width)
            else:
                folded = _statement(indent, stripped, width)
        out.extend(folded if folded is not None else [line])
        if masked is not None:
            depth = max(
                0, depth + sum(map(masked.count, _OPENING)) - sum(map(masked.count, _CLOSING))
            )
    text = "\n".join(out) + "\n"
    return text if text == source or _same_code(source, text) else source


def _same_code(source: str, folded: str) -> bool:
    try:
        return ast.dump(ast.parse(source)) == ast.dump(ast.parse(folded))
    except (SyntaxError, ValueError):
        return False  # a render that does not parse: black reports it on the text as rendered


def _code_lines(lines: list[str]) -> tuple[list[str | None], list[bool]]:
    """Each line masked (see _mask), or None for a line with a triple quote, of a triple-quoted
    string or after a backslash: never split, and not counted in the bracket depth. And whether
    each line begins inside such a string (its blank lines are the string's text)."""
    code: list[str | None] = []
    inside: list[bool] = []
    in_string = False
    continued = False
    for line in lines:
        inside.append(in_string or continued)
        if '"""' in line or "'''" in line:
            if (line.count('"""') + line.count("'''")) % 2 == 1:
                in_string = not in_string
            code.append(None)
        elif in_string or continued:
            code.append(None)
        else:
            code.append(_mask(line))
        continued = line.endswith("\\")
    return code, inside


# A one-line string with its prefix, a comment, or a quote that no string ends (unfinished).
_TOKEN = re.compile(
    r"""(?P<prefix>\b[rRbBfFuU]{1,2})?(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<comment>#.*)|(?P<open>['"])"""
)


def _mask(text: str) -> str | None:
    """`text` with its strings' contents blanked (quotes kept), so that brackets, commas and
    operators are found by position, and a comment as a lone `#`; None for an unfinished string."""
    if "'" not in text and '"' not in text and "#" not in text:
        return text
    out = []
    end = 0
    for token in _TOKEN.finditer(text):
        if token["open"]:
            return None
        out.append(text[end : token.start()])
        end = token.end()
        if token["comment"]:
            out.append("#")
            break
        string = token["string"]
        out.append((token["prefix"] or "") + string[0] + " " * (len(string) - 2) + string[-1])
    else:
        out.append(text[end:])
    return "".join(out)


def _requote(line: str) -> str:
    """`line` with its strings in black's quotes (see _black_quotes)."""
    out = []
    end = 0
    for token in _TOKEN.finditer(line):
        if not token["string"]:
            break
        out.append(line[end : token.start()])
        out.append(_black_quotes(token["prefix"] or "", token["string"]))
        end = token.end()
    return "".join(out) + line[end:]


def _black_quotes(prefix: str, literal: str) -> str:
    """black's own quote normalisation of one string (one with a prefix black rewrites, or an
    f-string, is left to black)."""
    from black.strings import normalize_string_quotes

    if prefix not in ("", "r", "b", "rb", "br"):
        return prefix + literal
    return str(normalize_string_quotes(prefix + literal))


def _pair(masked: str, at: int, step: int) -> int:
    """The index of the bracket that pairs with the one at `at`, searching forward (step 1,
    from an opening one) or backward (step -1, from a closing one); -1 when there is none."""
    depth = 0
    ahead, behind = (_OPENING, _CLOSING) if step == 1 else (_CLOSING, _OPENING)
    for i in range(at, len(masked) if step == 1 else -1, step):
        if masked[i] in ahead:
            depth += 1
        elif masked[i] in behind:
            depth -= 1
            if depth == 0:
                return i
    return -1


def _closes_outer(masked: str) -> bool:
    """Whether the line closes a bracket it did not open (`).columns(...)` after a multi-line
    call): such a line is not an element of the brackets around it, and not a statement."""
    depth = 0
    for c in masked:
        if c in _CLOSING:
            depth -= 1
            if depth < 0:
                return True
        elif c in _OPENING:
            depth += 1
    return False


def _top(masked: str) -> str:
    """`masked` with what is inside brackets blanked too: its top level."""
    out = []
    depth = 0
    for c in masked:
        if c in _CLOSING:
            depth -= 1
        out.append(c if depth == 0 else " ")
        if c in _OPENING:
            depth += 1
    return "".join(out)


def _statement(indent: int, text: str, width: int) -> list[str] | None:
    masked = _mask(text)
    if masked is None:
        return None
    pad = " " * indent
    if text.startswith("from ") and " import " in text and not any(c in masked for c in "([{"):
        head, names = text.split(" import ", 1)
        return [
            f"{pad}{head} import (",
            *(f"{pad}    {n.strip()}," for n in names.split(",")),
            f"{pad})",
        ]
    if text.startswith(("def ", "async def ")):
        return _left_hand(indent, text, masked, width)
    if text.startswith(("import ", "from ", "@", "if ", "for ", "while ", "with ", "elif ")):
        return None  # black splits these with rules of its own
    top = _top(masked)
    value_at = top.rfind(" = ") + 3 if " = " in top else (7 if text.startswith("return ") else -1)
    if value_at >= 0:
        value_top = top[value_at:]
        if any(op in value_top for op in _OPERATORS) or ", " in value_top:
            return None
        if not any(c in masked[value_at:] for c in _OPENING):
            return _wrap_value(indent, text, value_at, width)
        folded = _right_hand(indent, text, masked, width)
        if folded is None and any(c in masked[:value_at] for c in _OPENING):
            # `x: Mapped[T] = f(` too long: the value in black's optional parentheses
            target, value = text[:value_at].rstrip(), text[value_at:]
            inner = _element(indent + 4, value, width)
            if inner is not None and indent + len(target) + 2 <= width:
                return [f"{' ' * indent}{target} (", *inner, f"{' ' * indent})"]
        return folded
    return _right_hand(indent, text, masked, width)


def _element(indent: int, text: str, width: int) -> list[str] | None:
    """A line inside brackets: at its commas, else at its last bracket."""
    if indent + len(text) <= width:
        return [" " * indent + text]
    masked = _mask(text)
    if masked is None:
        return None
    top = _top(masked)
    commas = [i for i, c in enumerate(top) if c == "," and i != len(text) - 1]
    if commas:
        return _delimiter_split(indent, text, masked, width)
    return _right_hand(indent, text, masked, width)


def _right_hand(indent: int, text: str, masked: str, width: int) -> list[str] | None:
    """Black's right-hand split: at the last opening bracket whose pair ends the line."""
    closing = max((i for i, c in enumerate(masked) if c in _CLOSING), default=-1)
    if closing < 0 or masked[closing + 1 :].strip(":,") != "":
        return None
    opening = _pair(masked, closing, -1)
    head, body, tail = text[: opening + 1], text[opening + 1 : closing], text[closing:]
    pad = " " * indent
    if not body.strip() or indent + len(head) > width:
        return None
    body_masked = masked[opening + 1 : closing]
    body_top = _top(body_masked)
    literal = opening == 0 or text[opening - 1] in " =(,[{:"
    one_tuple = body_top.rstrip().endswith(",") and body_top.count(",") == 1
    if literal and "," in body_top and not one_tuple:  # a literal's elements: one per line
        inner = _delimiter_split(indent + 4, body, body_masked, width)
    elif indent + 4 + len(body) <= width:
        inner = [f"{pad}    {body}"]
    else:
        inner = _element(indent + 4, body, width)
    if inner is None:
        return None
    return [pad + head, *inner, pad + tail]


def _delimiter_split(indent: int, text: str, masked: str, width: int) -> list[str] | None:
    """Black's split of a bracket's contents at its commas: one element a line, each ended by a
    comma (the last one added)."""
    top = _top(masked)
    cuts = [i for i, c in enumerate(top) if c == ","]
    out: list[str] = []
    start = 0
    for end in [*cuts, len(text)]:
        element = text[start:end].strip()
        start = end + 1
        if not element:
            continue
        if element.startswith("*") and end == len(text):
            return None  # no comma after an unpacking in every context: black decides
        lines = (
            _element(indent, element + ",", width)
            if indent + len(element) + 1 > width
            else [" " * indent + element + ","]
        )
        if lines is None:
            return None
        out.extend(lines)
    return out


def _wrap_value(indent: int, text: str, value_at: int, width: int) -> list[str] | None:
    """A value without brackets, too long (`NAME = "a long string"`, `x: T = UNSET`): in
    parentheses on a line of its own, black's optional parentheses."""
    target, value = text[:value_at].rstrip(), text[value_at:]
    pad = " " * indent
    if indent + len(target) + 2 <= width and indent + 4 + len(value) <= width:
        return [f"{pad}{target} (", f"{pad}    {value}", f"{pad})"]
    name, colon, annotation = target.removesuffix(" =").partition(": ")
    if colon and indent + len(name) + 3 <= width and indent + 4 + len(annotation) <= width:
        return [f"{pad}{name}: (", f"{pad}    {annotation}", f"{pad}) = {value}"]
    return None


def _left_hand(indent: int, text: str, masked: str, width: int) -> list[str] | None:
    """Black's split of a signature: at its first bracket, the parameters on one line when they
    fit (a lone one gets a trailing comma), else one a line."""
    opening = masked.find("(")
    closing = _pair(masked, opening, 1) if opening >= 0 else -1
    if opening < 0 or closing < 0:
        return None
    head, body, tail = text[: opening + 1], text[opening + 1 : closing], text[closing:]
    body_masked = masked[opening + 1 : closing]
    pad = " " * indent
    if not body.strip() or indent + len(head) > width or indent + len(tail) > width:
        return None
    if "," not in body_masked:
        body += ","
    if indent + 4 + len(body) <= width:
        inner: list[str] | None = [f"{pad}    {body}"]
    else:
        inner = _delimiter_split(indent + 4, body, _mask(body) or "", width)
    if inner is None:
        return None
    return [pad + head, *inner, pad + tail]


def _blank_lines(
    lines: list[str], code: list[str | None], inside: list[bool]
) -> tuple[list[str], list[str | None]]:
    """Black's blank lines between statements: one after a class docstring, at most two at the
    top level and one inside a block, none at the end (a string's lines are kept as they are)."""
    out: list[str] = []
    out_code: list[str | None] = []
    blank = 0
    after_docstring = False
    for line, masked, in_string in zip(lines, code, inside, strict=True):
        stripped = line.strip()
        if not stripped and not in_string:
            blank += 1
            continue
        if out and not in_string:
            indent = len(line) - len(line.lstrip(" "))
            blank = max(blank, 1) if after_docstring else blank
            out.extend([""] * min(blank, 2 if indent == 0 else 1))
            out_code.extend([""] * min(blank, 2 if indent == 0 else 1))
        blank = 0
        after_docstring = (
            not in_string
            and stripped.startswith('"""')
            and len(stripped) > 6
            and stripped.endswith('"""')
            and bool(out)
            and out[-1].lstrip().startswith("class ")
            and out[-1].endswith(":")
        )
        out.append(line)
        out_code.append(masked)
    return out, out_code
