"""The checks a contract implies, as plain data (no GX import).

Every check is generated from a contract column's ``type``, ``allowed`` values
and ``required`` flags, so a new source or a new allowed value is a YAML edit,
never a code edit here. A check reads one *helper column* that
:mod:`expectations.check_columns` computes in polars with the pipeline's own
parsers (a normalised string or a boolean), so that GX only runs cheap regex /
in-set / not-null tests, and a value passes exactly when standardization can use it.

Severity:

* ``row``: each failing row is a concrete entry the department should correct
  (a malformed identity number, an unreadable date).
* ``column``: a rate-level warning about the column as a whole (how many
  identity numbers fail the check digit, how many codes lie outside Jilin,
  how often a required column is empty); the rows are still listed in the
  attachment, but one bad row is not by itself alarming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from data_contracts import Column, Contract

Severity = Literal["row", "column"]
Kind = Literal["regex", "in_set", "not_null"]

# Written instead of a sensitive allowed value wherever a check is described.
REDACTED = "特殊疾病（已脱敏）"

ID_SHAPE_REGEX = r"^(?:\d{17}[0-9X]|\d{15})$"
COUNTY_CODE_REGEX = r"^\d{6}$"
MOBILE_REGEX = r"^1\d{10}$"
INTEGER_REGEX = r"^\d+$"
BIRTH_CERT_REGEX = r"^[A-Z]\d{9}$"
SEX_ENCODINGS = ("男", "女", "1", "2", "M", "F")

# Share of non-empty values that must pass for the check to count as met.
# Failing rows are reported whatever the share; ``mostly`` only decides whether
# the liaison sees the check as "未通过" (needs attention) or as "基本通过".
MOSTLY: dict[str, float] = {
    "id_shape": 0.98,
    "id_check_digit": 0.98,
    "date_parse": 0.99,
    "date_not_future": 0.99,
    "month_parse": 0.99,
    "division_resolves": 0.95,
    "division_in_jilin": 0.98,
    "allowed_value": 0.99,
    "allowed_items": 0.99,
    "sex_encoding": 0.99,
    "mobile": 0.95,
    "integer": 0.99,
    "birth_cert": 0.98,
    "required_present": 0.95,
}

# Date columns whose values legitimately lie in the future (a permit's expiry,
# the end of a sentence): the "not in the future" check skips them.
_FORWARD_DATE_SUFFIXES = ("_until", "end_date")
# Division columns that say where a child comes from: a code outside Jilin is
# the normal case for migrant children there, so no "in Jilin" warning.
_ORIGIN_HEADER_MARKS = ("户籍", "户口", "出生地")


@dataclass(frozen=True)
class Check:
    """One generated expectation, described for GX and for a liaison."""

    code: str  # check kind, e.g. ``id_check_digit``
    column: str  # contract column name
    header: str  # canonical Chinese header, how the liaison knows the column
    headers: tuple[str, ...]  # every accepted header (canonical first, then aliases)
    helper: str  # the helper column GX validates
    kind: Kind
    severity: Severity
    description_zh: str  # what the check expects, in Chinese
    finding_zh: str  # what a failing row has, in Chinese ("校验位错误")
    mostly: float
    regex: str | None = None
    value_set: tuple[object, ...] | None = None

    @property
    def key(self) -> str:
        """Stable identifier of the check within its source."""
        return f"{self.column}.{self.code}"


def helper_name(column: str, kind: str) -> str:
    """Name of a helper column; double underscores cannot clash with contract names."""
    return f"{column}__{kind}"


def is_forward_date(column: Column) -> bool:
    return column.name.endswith(_FORWARD_DATE_SUFFIXES)


def is_origin_division(column: Column) -> bool:
    return any(mark in column.header for mark in _ORIGIN_HEADER_MARKS)


def redact(text: str, sensitive: tuple[str, ...]) -> str:
    """``text`` with every sensitive value replaced by :data:`REDACTED`."""
    for value in sensitive:
        text = text.replace(value, REDACTED)
    return text


def _label(column: Column) -> str:
    """The header as a liaison reads it, with its accepted variants."""
    if column.aliases:
        return f"{column.header}（也可写作：{'、'.join(column.aliases)}）"
    return column.header


def _allowed_text(column: Column, sensitive: tuple[str, ...]) -> str:
    # De-duplicate after redaction so the sentence lists each shown value once.
    shown: list[str] = []
    for value in column.allowed:
        text = redact(value, sensitive)
        if text not in shown:
            shown.append(text)
    return "、".join(shown)


def _column_checks(column: Column, contract: Contract, jilin_counties: tuple[str, ...]) -> list[Check]:
    label = _label(column)
    sensitive = contract.sensitive_values
    base = {"column": column.name, "header": column.header, "headers": column.headers}

    def make(code: str, helper_kind: str, kind: Kind, severity: Severity, desc: str, finding: str, **kw):
        return Check(
            code=code,
            helper=helper_name(column.name, helper_kind),
            kind=kind,
            severity=severity,
            description_zh=desc,
            finding_zh=finding,
            mostly=MOSTLY[code],
            **base,
            **kw,
        )

    checks: list[Check] = []
    t = column.type
    if t == "id_number":
        checks.append(
            make(
                "id_shape",
                "id",
                "regex",
                "row",
                f"{label}应为18位（前17位数字，末位数字或X）或15位数字的身份号码，"
                "出生日期为真实日期，且没有被Excel显示成科学计数法等形式而丢失末几位",
                "不是可用的18位或15位身份号码",
                regex=ID_SHAPE_REGEX,
            )
        )
        checks.append(
            make(
                "id_check_digit",
                "id_check_ok",
                "in_set",
                "column",
                f"{label}的末位校验码应与前17位相符（GB 11643，ISO 7064 MOD 11-2）",
                "校验位错误",
                value_set=(True,),
            )
        )
    elif t == "date":
        checks.append(
            make(
                "date_parse",
                "date_ok",
                "in_set",
                "row",
                f"{label}应为可识别的日期"
                "（如 2015-03-15、2015/3/15、20150315、2015.03.15、2015年3月15日或Excel日期）",
                "日期无法识别",
                value_set=(True,),
            )
        )
        if not is_forward_date(column):
            checks.append(
                make(
                    "date_not_future",
                    "date_not_future",
                    "in_set",
                    "row",
                    f"{label}不应晚于校验当天",
                    "日期晚于校验当天",
                    value_set=(True,),
                )
            )
    elif t == "month":
        checks.append(
            make(
                "month_parse",
                "month_ok",
                "in_set",
                "row",
                f"{label}应为可识别的年月（如 2021-09、202109、2021年9月）",
                "年月无法识别",
                value_set=(True,),
            )
        )
    elif t == "division":
        checks.append(
            make(
                "division_resolves",
                "county",
                "regex",
                "row",
                f"{label}应为6位县级区划代码（也接受9位或12位代码，或县级区划名称）",
                "无法解析为县级区划代码",
                regex=COUNTY_CODE_REGEX,
            )
        )
        if not is_origin_division(column):
            checks.append(
                make(
                    "division_in_jilin",
                    "county_code",
                    "in_set",
                    "column",
                    f"{label}应为吉林省的县级区划",
                    "不是吉林省县级区划",
                    value_set=jilin_counties,
                )
            )
    elif t == "sex":
        checks.append(
            make(
                "sex_encoding",
                "sex",
                "in_set",
                "row",
                f"{label}应为 男/女、1/2（1为男）或 M/F",
                "性别取值无法识别",
                value_set=SEX_ENCODINGS,
            )
        )
    elif t == "phone":
        checks.append(
            make(
                "mobile",
                "phone",
                "regex",
                "row",
                f"{label}应为11位手机号码（可带+86、空格或短横线）",
                "不是11位手机号码",
                regex=MOBILE_REGEX,
            )
        )
    elif t == "integer":
        checks.append(
            make(
                "integer",
                "value",
                "regex",
                "row",
                f"{label}应为非负整数",
                "不是整数",
                regex=INTEGER_REGEX,
            )
        )
    elif t == "birth_cert":
        checks.append(
            make(
                "birth_cert",
                "value",
                "regex",
                "row",
                f"{label}应为1个大写字母加9位数字（如 P220123456）",
                "出生医学证明编号格式错误",
                regex=BIRTH_CERT_REGEX,
            )
        )
    elif t == "multi_enum" and column.allowed:
        sep = column.separator or "、"
        checks.append(
            make(
                "allowed_items",
                "items_ok",
                "in_set",
                "row",
                f"{label}的每一项（以“{sep}”分隔）应为以下之一：{_allowed_text(column, sensitive)}",
                "含有规定范围以外的项",
                value_set=(True,),
            )
        )
    elif column.allowed:  # enum, relation and any other typed list of values
        checks.append(
            make(
                "allowed_value",
                "value",
                "in_set",
                "row",
                f"{label}应为以下之一：{_allowed_text(column, sensitive)}",
                "取值不在规定范围内",
                value_set=contract.staged_allowed(column),  # staged data holds the codes
            )
        )

    if column.required or column.row_required:
        checks.append(
            make(
                "required_present",
                "value",
                "not_null",
                "column",
                f"{label}为必填列，不应为空",
                "必填项为空",
            )
        )
    return checks


def contract_checks(contract: Contract, jilin_counties: tuple[str, ...]) -> tuple[Check, ...]:
    """All checks of ``contract``, in column order; ``jilin_counties`` fills the Jilin list."""
    out: list[Check] = []
    for column in contract.columns:
        out.extend(_column_checks(column, contract, jilin_counties))
    return tuple(out)
