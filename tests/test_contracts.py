from data_contracts import SOURCE_ORDER, load_contracts


def test_every_source_has_a_contract():
    assert set(load_contracts()) == set(SOURCE_ORDER)


def test_headers_are_unique_within_a_contract():
    for contract in load_contracts().values():
        headers = [h for c in contract.columns for h in c.headers]
        assert len(headers) == len(set(headers)), contract.source


def test_only_field_visits_is_optional():
    optional = {s for s, c in load_contracts().items() if not c.required}
    assert optional == {"field_visits"}


def test_person_status_is_not_child_level_and_marks_sensitive_value():
    status = load_contracts()["person_status"]
    assert not status.child_level
    assert "艾滋病病毒感染" in status.sensitive_values


def test_sensitive_values_have_codes_that_replace_them_in_staged_data():
    status = load_contracts()["person_status"]
    codes = dict(status.sensitive_codes)
    assert set(codes) == set(status.sensitive_values)
    column = status.column("status")
    assert "艾滋病病毒感染" in column.allowed  # what arrives
    assert codes["艾滋病病毒感染"] in status.staged_allowed(column)  # what is staged
    assert "艾滋病病毒感染" not in status.staged_allowed(column)
