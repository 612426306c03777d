"""Hand-made std_records frames for the linkage tests (synthetic people, no real data)."""

from __future__ import annotations

from datetime import date

import polars as pl

from matchers.configs.children import COLUMNS

# GB 11643 check digit, so fixtures can hold valid and deliberately broken numbers.
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_C = "10X98765432"


def with_check(body17: str) -> str:
    """An 18-character identity number with a correct check digit."""
    return body17 + _C[sum(int(d) * w for d, w in zip(body17, _W, strict=True)) % 11]


def record(**values: object) -> dict[str, object]:
    """One std_records row: every configured column, null unless given."""
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row.update({"guardian_ids": [], "guardian_phones": [], "name_placeholder": False})
    row.update(values)
    if row.get("id_number") and not row.get("id_status"):
        row["id_status"] = "valid"
    if row.get("id_status") is None:
        row["id_status"] = "empty"
    return row


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A std_records frame with dense record ids in row order."""
    df = pl.DataFrame(rows, schema=COLUMNS)
    return df.with_row_index("record_id").with_columns(pl.col("record_id").cast(pl.Int64))


def child(
    name: str,
    pinyin: str,
    surname_len: int,
    dob: date,
    sex: str,
    id_number: str | None,
    guardians: list[str],
    **extra: object,
) -> dict[str, object]:
    """A child's record with the name columns filled consistently."""
    return record(
        name=name,
        name_pinyin=pinyin,
        name_initials="".join(p[0] for p in pinyin.split("_")) if "_" in pinyin else pinyin[:1],
        surname=name[:surname_len],
        given_name=name[surname_len:],
        name_variant_key=name,
        id_number=id_number,
        id_birth_date=dob if id_number else None,
        birth_date=dob,
        sex=sex,
        guardian_ids=guardians,
        residence_county="220102",
        hukou_county="220281",
        **extra,
    )


_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "浩宇子涵欣怡梓萱一诺雨泽俊杰思远佳琪若曦明轩嘉怡天佑博文"


def population(n: int, start: date = date(2012, 1, 1)) -> list[dict[str, object]]:
    """``n`` distinct children with two records each (permit with id, vaccination without), deterministic."""
    rows = []
    for i in range(n):
        surname = _SURNAMES[i % len(_SURNAMES)]
        given = _GIVEN[(i * 7) % len(_GIVEN)] + _GIVEN[(i * 13 + 3) % len(_GIVEN)]
        name = surname + given
        pinyin = f"p{i % len(_SURNAMES)}_{(i * 7) % len(_GIVEN)}_{(i * 13 + 3) % len(_GIVEN)}"
        dob = date.fromordinal(start.toordinal() + (i * 37) % 3000)
        sex = "男" if i % 2 else "女"
        idn = with_check(f"2201{(i % 9) + 1:02d}{dob:%Y%m%d}{i % 1000:03d}")
        guardian = with_check(f"2201{(i % 9) + 1:02d}19850101{(i * 3) % 1000:03d}")
        county = f"2201{(i % 9) + 1:02d}"
        common = {"residence_county": county, "hukou_county": "220281"}
        rows.append(
            child(
                name, pinyin, 1, dob, sex, idn, [guardian], source="residence_permits", permit_no=f"P{i:06d}"
            )
            | common
        )
        rows.append(
            child(name, pinyin, 1, dob, sex, None, [guardian], source="vaccination", client_code=f"V{i:06d}")
            | common
        )
    return rows
