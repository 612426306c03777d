"""The three stage-2 tables on hand-made staged frames: schema, record ids, guardians, status."""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts.tables import STD_GUARDIANS, STD_RECORDS, STD_STATUS
from transforms.standardize import standardize_guardians, standardize_records, standardize_status

from .conftest import TODAY, staged_frame

ARCH_TYPES = {
    "record_id": pl.Int64,
    "row_number": pl.Int64,
    "name_placeholder": pl.Boolean,
    "id_birth_date": pl.Date,
    "birth_date": pl.Date,
    "birth_date_alt": pl.Date,
    "sex_conflict": pl.Boolean,
    "guardian_ids": pl.List(pl.Utf8),
    "guardian_phones": pl.List(pl.Utf8),
    "grade": pl.Int8,
    "enrol_month": pl.Date,
    "missed_doses": pl.Int32,
    "insurance_year": pl.Int32,
    "special": pl.List(pl.Utf8),
    "self_apply": pl.Boolean,
    "urgent": pl.List(pl.Utf8),
}


def staged() -> dict[str, pl.DataFrame]:
    return {
        "school_enrollment": staged_frame(
            "school_enrollment",
            [
                {
                    "name": "李娜",
                    "pupil_no": "G11010519491231002X",
                    "grade": "三年级",
                    "enrol_month": "202109",
                    "hukou_division": "吉林省长春市南关区",
                    "residence_address": "长春市朝阳区红旗街",
                    "guardian1_name": "李四",
                    "guardian1_relation": "母亲",
                    "guardian1_phone": "138 1234 5678",
                }
            ],
        ),
        "residence_permits": staged_frame(
            "residence_permits",
            [
                {"name": "王五", "id_number": "220102201503151231", "residence_code": "220104"},
                {
                    "name": "張偉",
                    "id_number": "11010519491231002x",
                    "sex": "1",
                    "birth_date": "1949/12/31",
                    "hukou_address": "北京市朝阳区建国路1号",
                    "residence_code": "220102001",
                    "guardian1_name": "张三",
                    "guardian1_id": "110105491231002",
                    "guardian1_relation": "父亲",
                    "guardian1_phone": "+86 138-1234-5678",
                },
            ],
        ),
        "child_health": staged_frame(
            "child_health",
            [
                {
                    "name": "李娜之子",
                    "mother_name": "李娜",
                    "mother_id": "11010519491231002X",
                    "birth_cert_no": "p220123456",
                }
            ],
        ),
        "field_visits": staged_frame(
            "field_visits", [{"name": "王五", "special": "单亲、残疾", "self_apply": "是"}]
        ),
        "person_status": staged_frame(
            "person_status",
            [
                {"id_number": "11010519491231002X", "status": "重残", "status_detail": "智力残疾3级"},
                {
                    "id_number": "11010519491231002X",
                    "status": "艾滋病病毒感染",
                    "status_detail": "艾滋病病毒感染",
                },
                {"id_number": "11010519491231002X", "status": "服刑在押", "start_date": "2024年1月5日"},
            ],
        ),
    }


def test_records_have_architecture_types_and_dense_ids_in_source_order():
    rec = standardize_records(staged(), TODAY)
    for col, dtype in ARCH_TYPES.items():
        assert rec.schema[col] == dtype, col
    assert rec["record_id"].to_list() == [1, 2, 3, 4, 5]
    assert rec["source"].to_list() == [
        "residence_permits",
        "residence_permits",
        "school_enrollment",
        "child_health",
        "field_visits",
    ]
    assert "person_status" not in rec["source"].to_list()


def test_record_values_are_standardized():
    rec = standardize_records(staged(), TODAY)
    zhang = rec.filter(pl.col("name") == "张伟").row(0, named=True)
    assert zhang["id_number"] == "11010519491231002X"
    assert zhang["birth_date"] == date(1949, 12, 31)
    assert zhang["sex"] == "男" and zhang["sex_conflict"] is True  # the number says female
    assert (zhang["hukou_county"], zhang["hukou_province"]) == ("110105", "11")
    assert zhang["residence_county"] == "220102"
    assert zhang["guardian_ids"] == ["11010519491231002X"]
    assert zhang["guardian_phones"] == ["13812345678"]
    pupil = rec.filter(pl.col("source") == "school_enrollment").row(0, named=True)
    assert (pupil["grade"], pupil["enrol_month"]) == (3, date(2021, 9, 1))
    assert pupil["pupil_id_number"] == "11010519491231002X"
    assert pupil["residence_county"] == "220104"
    baby = rec.filter(pl.col("source") == "child_health").row(0, named=True)
    assert baby["name_placeholder"] is True
    assert baby["birth_cert_no"] == "P220123456"
    assert baby["mother_name"] == "李娜" and baby["mother_id"] == "11010519491231002X"
    visit = rec.filter(pl.col("source") == "field_visits").row(0, named=True)
    assert visit["special"] == ["单亲", "残疾"] and visit["self_apply"] is True


def test_guardians_carry_parent_roles_from_relations():
    st = staged()
    rec = standardize_records(st, TODAY)
    g = standardize_guardians(st, rec, TODAY)
    assert g.select("role", "parent_role", "name").rows() == [
        ("guardian1", "father", "张三"),
        ("guardian1", "mother", "李四"),
        ("mother", "mother", "李娜"),
    ]
    assert g["record_id"].to_list() == [2, 3, 4]


def test_status_parses_disability_and_masks_the_sensitive_status():
    s = standardize_status(staged(), TODAY)
    assert s["disability_kind"].to_list() == ["智力", None, None]
    assert s["disability_grade"].to_list() == [3, None, None]
    assert s["status_sensitive"].to_list() == [False, True, False]
    text = s.select(pl.col(pl.Utf8)).rows()
    assert not any("艾滋病" in (v or "") for row in text for v in row)
    assert s["status"][1] == "特殊疾病（已脱敏）"
    assert s["start_date"][2] == date(2024, 1, 5)


def test_a_bare_county_name_shared_by_two_cities_follows_the_identity_numbers_county():
    # 和平区 is both 天津 (120101) and 沈阳 (210102); the child's number was issued in 沈阳.
    shenyang = "210102201503151236"
    rows = [
        {"name": "周一", "id_number": shenyang, "hukou_address": "和平区"},
        {"name": "周二", "id_number": shenyang, "hukou_address": "和平区南京北街12号"},
        # A city named before the county is the department's own choice: kept.
        {"name": "周三", "id_number": shenyang, "hukou_address": "天津市和平区"},
        # No number: the default stands.
        {"name": "周四", "hukou_address": "和平区"},
    ]
    out = standardize_records({"residence_permits": staged_frame("residence_permits", rows)}, today=TODAY)
    got = dict(out.select("name", "hukou_county").iter_rows())
    assert got["周一"] == got["周二"] == "210102"
    assert got["周三"] == got["周四"] == "120101"
    by_name = {r["name"]: r for r in out.iter_rows(named=True)}
    assert by_name["周一"]["hukou_prefecture"] == "210100" and by_name["周一"]["hukou_province"] == "21"


def test_the_three_tables_have_exactly_the_declared_columns_and_types():
    """The stage-table declaration is what the linkage engine and the rules rely on."""
    tables = staged()
    records = standardize_records(tables, TODAY)
    assert dict(records.schema) == STD_RECORDS
    assert dict(standardize_guardians(tables, records, TODAY).schema) == STD_GUARDIANS
    assert dict(standardize_status(tables, TODAY).schema) == STD_STATUS
    # Empty inputs still give the declared tables.
    empty = standardize_records({}, TODAY)
    assert empty.height == 0 and dict(empty.schema) == STD_RECORDS
