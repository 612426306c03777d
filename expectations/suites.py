"""GX expectation suites generated from the data contracts.

Nothing here is written per source: :func:`build_suite` turns the checks that
:func:`expectations.checks.contract_checks` derives from a contract into GX
Core 1.24 expectations over the helper columns of
:func:`expectations.check_columns.helper_frame`. GX is imported inside the function
because importing it takes seconds and most CLI commands never need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data_contracts import Contract
from expectations.check_columns import jilin_county_codes
from expectations.checks import Check, contract_checks

if TYPE_CHECKING:
    import great_expectations as gx


def suite_name(contract: Contract) -> str:
    return f"taizhang_{contract.source}"


def checks_for(contract: Contract) -> tuple[Check, ...]:
    """The checks of ``contract`` with the current Jilin county list filled in."""
    return contract_checks(contract, jilin_county_codes())


# The GX expectation each kind of check becomes (by GX's name for it: ``expectation_config.type``),
# for what is reported without running GX (a source with no rows, expectations/validate.py);
# tests/expectations check it against the expectations below.
EXPECTATION_TYPES: dict[str, str] = {
    "regex": "expect_column_values_to_match_regex",
    "in_set": "expect_column_values_to_be_in_set",
    "not_null": "expect_column_values_to_not_be_null",
}


def _expectation(check: Check):
    """The GX expectation for one check, carrying its liaison-facing description in ``meta``."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    meta = {
        "check": check.code,
        "column": check.column,
        "header": check.header,
        "headers": list(check.headers),
        "description_zh": check.description_zh,
        "finding_zh": check.finding_zh,
        "severity": check.severity,
    }
    common = {
        "column": check.helper,
        "meta": meta,
        "description": check.description_zh,
        # A row-level finding is something to correct; a column-level one is a rate to watch.
        "severity": FailureSeverity.WARNING if check.severity == "row" else FailureSeverity.INFO,
    }
    if check.kind == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(regex=check.regex, mostly=check.mostly, **common)
    if check.kind == "in_set":
        values = list(check.value_set or ())
        return gxe.ExpectColumnValuesToBeInSet(value_set=values, mostly=check.mostly, **common)
    return gxe.ExpectColumnValuesToNotBeNull(mostly=check.mostly, **common)


def build_suite(contract: Contract) -> gx.ExpectationSuite:
    """A GX suite for one source, one expectation per generated check, in contract column order.

    The suite is validated against the helper frame, not the raw staged frame:
    each expectation's ``column`` is a helper column, and ``meta`` names the
    contract column, its Chinese header(s), the description and the severity.
    """
    import great_expectations as gx

    # Expectations go in through the constructor: ``add_expectation`` needs a live context.
    return gx.ExpectationSuite(
        name=suite_name(contract),
        expectations=[_expectation(check) for check in checks_for(contract)],
        meta={"source": contract.source, "department": contract.department, "title": contract.title},
    )
