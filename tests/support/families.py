"""Hand-made std_records frames for the linkage tests (synthetic people, no real data)."""

from __future__ import annotations

from datetime import date

import polars as pl

from matchers.configs.children import COLUMNS
from tests.support.ids import with_check

__all__ = ["child", "families", "frame", "population", "record", "with_check"]


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


_MOTHER_CHARS = "红梅秀英桂兰丽华玉珍海燕春梅晓燕"


def families(n: int, start: date = date(2012, 1, 1)) -> list[dict[str, object]]:
    """``n`` distinct children with parents, on three or four departments each, with the usual slips.

    Every child has a residence permit (valid id, guardians, often a phone), a child-health record
    (mother, father, birth certificate), a vaccination record (phone) and, for every other child, a
    birth certificate (place of birth, no id, no residence). Some records carry one-character name
    typos, a new given name, a birth date one day off, another residence county or a placeholder
    name, so that the model has slips to learn from. Deterministic.
    """
    rows = []
    n_given = len(_GIVEN)
    for i in range(n):
        surname = _SURNAMES[i % len(_SURNAMES)]
        a, b = (i * 7) % n_given, (i * 13 + 3) % n_given
        name, pinyin = surname + _GIVEN[a] + _GIVEN[b], f"p{i % len(_SURNAMES)}_{a}_{b}"
        dob = date.fromordinal(start.toordinal() + (i * 37) % 3000)
        sex = "男" if i % 2 else "女"
        county = f"2201{(i % 9) + 1:02d}"
        idn = with_check(f"{county}{dob:%Y%m%d}{i % 1000:03d}")
        mother = with_check(f"{county}1988{(i % 12) + 1:02d}{(i % 28) + 1:02d}{(i * 3) % 1000:03d}")
        father = with_check(f"{county}1985{(i % 12) + 1:02d}{(i % 28) + 1:02d}{(i * 7) % 1000:03d}")
        m = len(_MOTHER_CHARS)
        mother_name = (
            _SURNAMES[(i * 3 + 1) % len(_SURNAMES)]
            + _MOTHER_CHARS[(2 * i) % m]
            + _MOTHER_CHARS[(2 * i + 1) % m]
        )
        phone = f"139{i:08d}"
        cert = f"P{county[2:]}{i:05d}"
        here = {"residence_county": county, "hukou_county": "220281"}
        # The slips, on records that carry the id (EM learns a comparison's m from same-id pairs).
        typo, renamed = i % 4 == 1, i % 16 == 3
        v_name, v_pinyin = name, pinyin
        if typo:
            v_name = surname + _GIVEN[(a + 1) % n_given] + _GIVEN[b]
            v_pinyin = f"p{i % len(_SURNAMES)}_{(a + 1) % n_given}_{b}"
        if renamed:
            c, d = (a + 5) % n_given, (b + 11) % n_given
            v_name, v_pinyin = surname + _GIVEN[c] + _GIVEN[d], f"p{i % len(_SURNAMES)}_{c}_{d}"
        v_dob = date.fromordinal(dob.toordinal() + 1) if i % 10 == 7 else dob
        v_here = {"residence_county": "220199", "hukou_county": "220281"} if i % 6 == 3 else here
        rows.append(
            child(
                name,
                pinyin,
                1,
                dob,
                sex,
                idn,
                [mother, father],
                source="residence_permits",
                permit_no=f"P{i:06d}",
                guardian_phones=[phone] if i % 3 else [],
            )
            | here
        )
        rows.append(
            child(
                name,
                pinyin,
                1,
                dob,
                sex,
                idn if i % 2 else None,
                [mother, father] if i % 7 else [],
                source="child_health",
                health_record_no=f"H{i:06d}",
                mother_name=mother_name,
                mother_id=mother if i % 7 else None,
                father_id=father,
                birth_cert_no=cert,
                guardian_phones=[phone] if i % 3 == 1 else [],
            )
            | here
        )
        rows.append(
            child(
                v_name,
                v_pinyin,
                1,
                v_dob,
                sex,
                idn if i % 2 else None,
                [],
                source="vaccination",
                client_code=f"V{i:06d}",
                guardian_phones=[phone] if i % 5 else [f"138{i:08d}"],
            )
            | v_here
        )
        if i % 2 == 0:
            placeholder = i % 8 == 0
            rows.append(
                child(
                    surname + "小宝" if placeholder else name,
                    pinyin,
                    1,
                    dob,
                    sex,
                    None,
                    [mother, father],
                    source="birth_certificates",
                    birth_cert_no=cert,
                    mother_name=mother_name,
                    mother_id=mother,
                    father_id=father,
                    birth_place_county=county,
                    name_placeholder=placeholder,
                )
                | {"residence_county": None, "hukou_county": None}
            )
    return rows
