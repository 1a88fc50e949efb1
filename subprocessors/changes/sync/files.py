"""Reading a sync file: YAML (a list of mappings, or `{subprocessors: [...]}`) or CSV (a header row of field names,
as the public CSV export writes it), into rows of raw values with the line each value came from.

Nothing is validated here beyond the file's shape and its field names: the rows go through the console's form
(plan.py). Values stay text (YAML scalars are read as written, so `NO` stays Norway's code, not false)."""

import csv
import io
from dataclasses import dataclass, field

import yaml

from subprocessors.listing.exports import FORMULA_PREFIXES
from subprocessors.listing.serializers import PUBLIC_FIELDS

# Besides the public API's fields: the slug an addition replaces, and the reason customers will read.
SYNC_FIELDS = ("replaces", "reason")
KNOWN_FIELDS = (*PUBLIC_FIELDS, *SYNC_FIELDS)
FORMATS = ("yaml", "csv")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "yaml", ".csv": "csv"}  # JSON is YAML

UNKNOWN_FIELDS = "unknown field(s) {names}; the known ones are: {known}."
NOT_A_LIST = "expected a list of sub-processors (or a mapping with the one key `subprocessors` holding that list)."
NOT_A_MAPPING = "each sub-processor is a mapping of field names to values."
NOT_A_VALUE = "expected a single value, not a {kind}."


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file (or refused by a rule), at `line` (None: not tied to a line of the file)."""

    line: int | None
    field: str
    message: str
    slug: str = ""

    def format(self, source: str) -> str:
        # A row's line; else the slug of a list entry the file leaves out; else the file as a whole.
        where = f"{source}:{self.line}" if self.line else f"{source}: {self.slug}" if self.slug else source
        return f"{where}: {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "slug": self.slug, "field": self.field, "message": self.message}


class SyncInvalid(Exception):
    """The file cannot be used as it is; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Row:
    line: int
    values: dict[str, str | None]  # field → raw text (None: YAML null)
    lines: dict[str, int] = field(default_factory=dict)  # field → line of its value
    problems: list[Problem] = field(default_factory=list)  # found reading it (reported with the rest)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


def format_for(path: str, chosen: str | None) -> str:
    if chosen:
        return chosen
    suffix = path[path.rfind(".") :].lower() if "." in path else ""
    if suffix not in EXTENSIONS:
        raise SyncInvalid(
            [Problem(None, "format", "cannot tell the format from the file name: use --format yaml or --format csv.")]
        )
    return EXTENSIONS[suffix]


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # the public CSV export starts with a byte-order mark
    except UnicodeDecodeError as exc:
        raise SyncInvalid([Problem(None, "encoding", f"the file is not UTF-8 text ({exc.reason}).")]) from None


def read_rows(text: str, *, fmt: str) -> list[Row]:
    return _read_csv(text) if fmt == "csv" else _read_yaml(text)


def _unknown(names: list[str], line: int | None) -> Problem:
    return Problem(
        line, "fields", UNKNOWN_FIELDS.format(names=", ".join(sorted(set(names))), known=", ".join(KNOWN_FIELDS))
    )


# --- YAML ---

_NULL = "tag:yaml.org,2002:null"


def _read_yaml(text: str) -> list[Row]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise SyncInvalid([Problem(mark.line + 1 if mark else None, "yaml", message + ".")]) from None
    except yaml.YAMLError as exc:
        raise SyncInvalid([Problem(None, "yaml", str(exc))]) from None
    finally:
        loader.dispose()
    if node is None:
        return []
    if isinstance(node, yaml.MappingNode):
        keys = [k.value if isinstance(k, yaml.ScalarNode) else "?" for k, _ in node.value]
        if keys != ["subprocessors"]:
            raise SyncInvalid([Problem(node.start_mark.line + 1, "yaml", NOT_A_LIST)])
        node = node.value[0][1]
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise SyncInvalid([Problem(node.start_mark.line + 1, "yaml", NOT_A_LIST)])
    rows = [_yaml_row(item) for item in node.value]
    if not all(isinstance(item, yaml.MappingNode) for item in node.value):
        raise SyncInvalid([problem for row in rows for problem in row.problems])  # no fields to check in such rows
    return rows


def _yaml_row(node: yaml.Node) -> Row:
    line = node.start_mark.line + 1
    row = Row(line=line, values={})
    if not isinstance(node, yaml.MappingNode):
        row.problems.append(Problem(line, "yaml", NOT_A_MAPPING))
        return row
    problems = row.problems
    unknown = []
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        key = str(key_node.value).strip().lower() if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in KNOWN_FIELDS:
            unknown.append(key or "(not a name)")
            continue
        if key in row.values:
            problems.append(Problem(key_line, key, f"given twice in this entry (also line {row.lines[key]})."))
            continue
        row.lines[key] = key_line
        if not isinstance(value_node, yaml.ScalarNode):
            kind = "list" if isinstance(value_node, yaml.SequenceNode) else "mapping"
            problems.append(Problem(key_line, key, NOT_A_VALUE.format(kind=kind)))
            continue
        row.values[key] = None if value_node.tag == _NULL else value_node.value
    if unknown:
        problems.append(_unknown(unknown, line))
    return row


# --- CSV ---


def _uncell(text: str) -> str:
    """Undo the export's formula guard (listing.exports.csv_cell): `'=x` was written for `=x`."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def _read_csv(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        problems = []
        unknown = [name or "(empty)" for name in columns if name not in KNOWN_FIELDS]
        if unknown:
            problems.append(_unknown(unknown, 1))
        twice = sorted({name for name in columns if columns.count(name) > 1})
        if twice:
            problems.append(Problem(1, "fields", f"column(s) given twice: {', '.join(twice)}."))
        if "slug" not in columns:
            problems.append(Problem(1, "slug", "the header has no slug column: each row is matched by its slug."))
        if problems:
            raise SyncInvalid(problems)
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(columns):
                problems.append(Problem(line, "row", f"{len(cells)} cells for {len(columns)} columns."))
                continue
            rows.append(Row(line=line, values={name: _uncell(cell) for name, cell in zip(columns, cells, strict=True)}))
    except csv.Error as exc:
        raise SyncInvalid([Problem(reader.line_num or None, "csv", f"{exc}.")]) from None
    if problems:
        raise SyncInvalid(problems)
    return rows
