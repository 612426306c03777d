"""A small builder of Stage 2 frames (std_records, std_guardians, std_status, record_child).

Each test spells out only the facts it is about; every other documented column
is filled with nulls by the rules' own ``conform``. Identity numbers are built
with a correct GB 11643 check digit so that ``valid`` really means valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from taizhang.rules import Decisions, decide
from tests.support.ids import make_id, typo

__all__ = ["AS_OF", "World", "make_id", "typo"]

AS_OF = date(2026, 6, 30)


@dataclass
class World:
    records: list[dict[str, Any]] = field(default_factory=list)
    guardians: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)

    def record(self, child_id: str, source: str, **fields: Any) -> int:
        rid = len(self.records) + 1
        row = {"record_id": rid, "source": source, "file": f"{source}.csv", "row_number": rid}
        row.update(fields)
        self.records.append(row)
        self.links.append({"record_id": rid, "child_id": child_id})
        return rid

    def migrant(
        self,
        child_id: str,
        *,
        birth: date = date(2016, 3, 1),
        hukou: str = "220281",
        residence: str = "220102",
        since: date = date(2024, 9, 1),
        name: str = "王小明",
        seq: int = 11,
    ) -> str:
        """A child on a residence permit: hukou elsewhere, living here since ``since``."""
        cid = make_id(hukou, birth, seq)
        self.record(
            child_id,
            "residence_permits",
            name=name,
            id_number=cid,
            id_status="valid",
            id_birth_date=birth,
            id_sex="男",
            id_county=hukou,
            birth_date=birth,
            sex="男",
            hukou_county=hukou,
            residence_county=residence,
            residence_start=since,
            issue_date=since,
            valid_until=date(2027, 12, 31),
        )
        return cid

    def parent(
        self,
        child_id: str,
        role: str,
        name: str,
        id_number: str | None,
        *,
        id_status: str = "valid",
        source: str = "birth_certificates",
        relation: str | None = None,
        phone: str | None = None,
    ) -> None:
        rid = self.record(child_id, source)
        row = self.records[-1]
        self.guardians.append(
            {
                "record_id": rid,
                "source": source,
                "file": row["file"],
                "row_number": row["row_number"],
                "role": role,
                "relation": relation,
                "parent_role": role if role in ("father", "mother") else None,
                "name": name,
                "id_number": id_number,
                "id_status": id_status if id_number else "empty",
                "phone": phone,
            }
        )

    def couple(
        self,
        child_id: str,
        father: tuple[str, str],
        mother: tuple[str, str],
        source: str = "birth_certificates",
    ) -> None:
        """Father and mother (name, number) on ONE record, as on a birth certificate."""
        rid = self.record(child_id, source)
        row = self.records[-1]
        for role, (name, number) in (("father", father), ("mother", mother)):
            self.guardians.append(
                {
                    "record_id": rid,
                    "source": source,
                    "file": row["file"],
                    "row_number": row["row_number"],
                    "role": role,
                    "parent_role": role,
                    "name": name,
                    "id_number": number,
                    "id_status": "valid",
                }
            )

    def event(
        self,
        id_number: str | None,
        name: str,
        status: str,
        start: date | None,
        end: date | None = None,
        *,
        detail: str | None = None,
        reporter: str | None = None,
        id_status: str = "valid",
        id_raw: str | None = None,
    ) -> None:
        n = len(self.status) + 1
        self.status.append(
            {
                "source": "person_status",
                "file": "person_status.csv",
                "row_number": n,
                "id_raw": id_raw if id_raw is not None else id_number,
                "id_number": id_number,
                "id_status": id_status if (id_number or id_raw) else "empty",
                "name": name,
                "status": status,
                "status_detail": detail,
                "start_date": start,
                "end_date": end,
                "reporter": reporter,
            }
        )

    def vaccination_guardian(self, child_id: str, guardian: str, phone: str, *, name: str = "王小红") -> int:
        """A child known only from a vaccination card, whose guardian there has a name and a phone
        but no number (the card cannot say whose parent she is)."""
        rid = self.record(
            child_id, "vaccination", name=name, residence_county="220102", card_opened=date(2022, 1, 1)
        )
        self.guardians.append(
            {
                "record_id": rid,
                "source": "vaccination",
                "file": "vaccination.csv",
                "row_number": rid,
                "role": "guardian1",
                "name": guardian,
                "phone": phone,
                "id_status": "empty",
            }
        )
        return rid

    def kept_apart_pair(self, dated: str, undated: str) -> pl.DataFrame:
        """Two records the linker's rename veto kept apart (a twin, or the same child renamed): a
        residence permit of ``dated`` that dates the family's arrival last month, and a school
        record of ``undated``, same birth date and counties, that dates nothing. Returns the
        link stage's ``link_vetoed_apart`` row for them."""
        permit = self.record(
            dated,
            "residence_permits",
            name="王浩宇",
            birth_date=date(2015, 5, 2),
            hukou_county="220281",
            residence_county="220102",
            residence_start=date(2026, 5, 20),
        )
        school = self.record(
            undated,
            "school_enrollment",
            name="王伟",
            birth_date=date(2015, 5, 2),
            hukou_county="220281",
            residence_county="220102",
            enrol_month=date(2021, 9, 1),
        )
        return pl.DataFrame({"l": [permit], "r": [school], "child_id_l": [dated], "child_id_r": [undated]})

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        def frame(rows: list[dict[str, Any]], cols: list[str]) -> pl.DataFrame:
            if not rows:
                return pl.DataFrame(schema=dict.fromkeys(cols, pl.Utf8))
            return pl.DataFrame(rows, infer_schema_length=None)

        return (
            frame(self.records, ["record_id", "source", "file", "row_number"]),
            frame(self.guardians, ["record_id", "source", "file", "row_number", "role", "parent_role"]),
            frame(self.status, ["source", "file", "row_number", "id_number", "id_status", "name", "status"]),
            pl.DataFrame(self.links, schema={"record_id": pl.Int64, "child_id": pl.Utf8}),
        )

    def decide(self, as_of: date = AS_OF) -> Decisions:
        return decide(*self.frames(), as_of)
