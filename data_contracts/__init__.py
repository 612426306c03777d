"""Data contracts: one declarative YAML file per source.

A contract names a source's canonical columns, the Chinese headers (and their
variants) they arrive under, their types and allowed values, which columns
identify the child and which its guardians. Adding a header variant or a new
source is an edit of a YAML file here, not of code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_DIR = Path(__file__).parent

COLUMN_TYPES = frozenset(
    {
        "text",
        "name",
        "sex",
        "date",
        "month",
        "id_number",
        "division",
        "address",
        "phone",
        "relation",
        "enum",
        "multi_enum",
        "integer",
        "birth_cert",
    }
)


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    aliases: tuple[str, ...] = ()
    type: str = "text"
    required: bool = False  # the header must be present for a file to match
    row_required: bool = False  # an empty value makes the row unusable
    role: str | None = None  # child, guardian1, guardian2, mother, father, person
    allowed: tuple[str, ...] = ()
    separator: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Contract:
    source: str
    department: str
    title: str
    required: bool
    child_level: bool
    identifying: tuple[str, ...]
    columns: tuple[Column, ...]
    sensitive_values: tuple[str, ...] = field(default=())
    # Each sensitive value's code, which stands in for it from the moment a file is read.
    sensitive_codes: tuple[tuple[str, str], ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.source} has no column {name!r}")

    def staged_value(self, value: str) -> str:
        """``value`` as the staged layer holds it: a sensitive value's code, any other value itself."""
        return dict(self.sensitive_codes).get(value, value)

    def staged_allowed(self, column: Column) -> tuple[str, ...]:
        """A column's allowed values as staged data carries them (sensitive ones as their codes)."""
        return tuple(self.staged_value(v) for v in column.allowed)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]


def _parse(path: Path) -> Contract:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = []
    for c in raw["columns"]:
        if c.get("type", "text") not in COLUMN_TYPES:
            raise ValueError(f"{path.name}: column {c['name']!r} has unknown type {c.get('type')!r}")
        columns.append(
            Column(
                name=c["name"],
                header=c["header"],
                aliases=tuple(c.get("aliases", ())),
                type=c.get("type", "text"),
                required=bool(c.get("required", False)),
                row_required=bool(c.get("row_required", False)),
                role=c.get("role"),
                allowed=tuple(str(v) for v in c.get("allowed", ())),
                separator=c.get("separator"),
            )
        )
    names = [c.name for c in columns]
    unknown = set(raw.get("identifying", ())) - set(names)
    if unknown:
        raise ValueError(f"{path.name}: identifying names unknown columns {sorted(unknown)}")
    sensitive = raw.get("sensitive_values") or {}
    if not isinstance(sensitive, dict) or len(set(sensitive.values())) != len(sensitive):
        raise ValueError(f"{path.name}: sensitive_values must map each value to its own code")
    return Contract(
        source=raw["source"],
        department=raw["department"],
        title=raw["title"],
        required=bool(raw.get("required", True)),
        child_level=bool(raw.get("child_level", True)),
        identifying=tuple(raw.get("identifying", ())),
        columns=tuple(columns),
        sensitive_values=tuple(str(v) for v in sensitive),
        sensitive_codes=tuple((str(k), str(v)) for k, v in sensitive.items()),
    )


@cache
def load_contracts(directory: Path = CONTRACT_DIR) -> dict[str, Contract]:
    """All contracts in ``directory``, keyed by source name, in a stable order."""
    contracts = {}
    for path in sorted(directory.glob("*.yaml")):
        contract = _parse(path)
        contracts[contract.source] = contract
    return contracts


# The order sources are read, reported and numbered in (record ids follow it). Not the rules'
# evidence priority (taizhang/rules/survivorship.py SOURCE_PRIORITY): that is another fact, which puts
# the county's home visit first and leaves person_status out.
SOURCE_ORDER = (
    "residence_permits",
    "school_enrollment",
    "child_health",
    "vaccination",
    "insurance",
    "birth_certificates",
    "person_status",
    "field_visits",
)
