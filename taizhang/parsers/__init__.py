"""One parser per kind of value: identity numbers, dates, phones, divisions, sexes, names.

A ground-floor package: validation (the liaison reports), standardization and
the generator all call these, so a cell is read by the same rule everywhere.
It imports no stage.
"""
