"""Comparisons: how similar two records are, field by field, as discrete levels.

A comparison turns a pair of records into one small integer (its *level*,
called gamma as in Fellegi–Sunter): ``-1`` when the comparison cannot be made
(a value missing on either side: weight 0), ``0`` for "different", and higher
numbers for closer agreement, the most similar level highest. Levels are SQL
conditions over the two records aliased ``l`` and ``r``, evaluated in DuckDB
over whole pair tables with the built-in similarity functions
(``jaro_winkler_similarity``, ``damerau_levenshtein``, ``hamming``...), so no
Python runs per pair.

The library functions below build the comparisons the child and parent
configurations need; each documents the typing errors it is meant to absorb.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Level:
    """One level of a comparison: a SQL condition and the initial guess of m (EM starts there)."""

    label: str
    condition: str
    m: float = 0.1


@dataclass(frozen=True)
class Comparison:
    """A comparison: its null condition and its levels, most similar first.

    A final "different" level (gamma 0) is implied. ``tf_column`` names a column
    whose value frequency adjusts the weight of the first (exact) level: an
    exact match on a rare value is stronger evidence than on a common one.
    """

    name: str
    null_condition: str
    levels: tuple[Level, ...]
    tf_column: str | None = None
    else_label: str = "different"
    else_m: float = 0.05

    @property
    def column(self) -> str:
        """The gamma column of this comparison in the pair tables."""
        return f"g_{self.name}"

    @property
    def n_levels(self) -> int:
        """Number of non-null levels including the implied "different" level."""
        return len(self.levels) + 1

    def label(self, gamma: int) -> str:
        """The label of a level number (``-1`` is "null")."""
        if gamma < 0:
            return "null"
        if gamma == 0:
            return self.else_label
        return self.levels[len(self.levels) - gamma].label

    def gamma_sql(self) -> str:
        """A CASE expression giving this comparison's level for a pair ``l``, ``r``."""
        parts = [f"WHEN {self.null_condition} THEN -1"]
        for i, level in enumerate(self.levels):
            parts.append(f"WHEN {level.condition} THEN {len(self.levels) - i}")
        return "CASE " + " ".join(parts) + f" ELSE 0 END::TINYINT AS {self.column}"

    def initial_m(self) -> list[float]:
        """Initial m by level number 0..n (normalised)."""
        raw = [self.else_m] + [lvl.m for lvl in reversed(self.levels)]
        total = sum(raw)
        return [x / total for x in raw]


def either_null(*columns: str) -> str:
    """SQL true when any of ``columns`` is null on either side."""
    return " OR ".join(f"l.{c} IS NULL OR r.{c} IS NULL" for c in columns)


def transposition(column: str) -> str:
    """SQL true when the two values differ by one adjacent transposition.

    ``damerau_levenshtein`` is ten times slower than ``levenshtein`` in DuckDB,
    so it only runs on the few pairs of equal length with exactly two
    mismatching positions (AND short-circuits in DuckDB).
    """
    return (
        f"(length(l.{column}) = length(r.{column}) AND hamming(l.{column}, r.{column}) = 2"
        f" AND damerau_levenshtein(l.{column}, r.{column}) = 1)"
    )


def exact(name: str, column: str, m: float = 0.9, tf: bool = False) -> Comparison:
    """Exact agreement or not (sex, county, postcode...)."""
    return Comparison(
        name=name,
        null_condition=either_null(column),
        levels=(Level("exact", f"l.{column} = r.{column}", m),),
        tf_column=column if tf else None,
        else_m=1 - m,
    )


def chinese_name(
    name: str = "name",
    column: str = "name",
    pinyin: str = "name_pinyin",
    variant: str = "name_variant_key",
    surname: str = "surname",
    given: str = "given_name",
    placeholder: str | None = "name_placeholder",
    tf: bool = True,
) -> Comparison:
    """A Chinese personal name: exact, homophone, look-alike, one character, given-name change.

    * exact characters;
    * same toneless pinyin: a homophone typed for the right character (张伟/张玮);
    * same look-alike variant key: a character mistaken for a similar-looking one;
    * one character inserted, deleted or replaced (any other typo);
    * same surname, different given name: a child renamed (or a sibling; EM weighs it);
    * pinyin close (Jaro–Winkler ≥ 0.88): pinyin typed for a rare character.

    Placeholders (之子, 小宝, 婴儿...) carry no information: they are "null".
    """
    null = either_null(column)
    if placeholder:
        null += f" OR coalesce(l.{placeholder}, FALSE) OR coalesce(r.{placeholder}, FALSE)"
    return Comparison(
        name=name,
        null_condition=null,
        levels=(
            Level("exact", f"l.{column} = r.{column}", 0.75),
            Level("homophone", f"l.{pinyin} = r.{pinyin}", 0.08),
            Level("lookalike", f"l.{variant} = r.{variant}", 0.05),
            Level("one_char", f"levenshtein(l.{column}, r.{column}) <= 1", 0.05),
            Level("given_changed", f"l.{surname} = r.{surname} AND length(l.{given}) > 0", 0.03),
            Level("pinyin_close", f"jaro_winkler_similarity(l.{pinyin}, r.{pinyin}) >= 0.88", 0.02),
        ),
        tf_column=column if tf else None,
        else_m=0.02,
    )


def identity_number(name: str = "id", column: str = "id_number") -> Comparison:
    """An 18-character identity number: exact, one substitution, adjacent transposition, same birth part.

    "One side missing or lossy" is the null level: the standardizer leaves
    ``id_number`` null when the digits did not survive.
    """
    return Comparison(
        name=name,
        null_condition=either_null(column),
        levels=(
            Level("exact", f"l.{column} = r.{column}", 0.85),
            Level(
                "one_substitution",
                f"length(l.{column}) = length(r.{column}) AND hamming(l.{column}, r.{column}) = 1",
                0.06,
            ),
            Level("transposition", transposition(column), 0.03),
            Level(
                "same_birth_part",
                f"substr(l.{column}, 7, 8) = substr(r.{column}, 7, 8)",
                0.03,
            ),
        ),
        else_m=0.03,
    )


def day_month_swapped(a: str, b: str) -> str:
    """SQL: two dates of one year whose day and month are each other's (2015-03-05 / 2015-05-03)."""
    return (
        f"(year({a}) = year({b}) AND month({a}) = day({b}) AND day({a}) = month({b})"
        f" AND month({a}) <> day({a}))"
    )


def one_year_apart(a: str, b: str) -> str:
    """SQL: the same day and month, the year one off (a slip in the year's last digits)."""
    return f"(month({a}) = month({b}) AND day({a}) = day({b}) AND abs(year({a}) - year({b})) = 1)"


def birth_date(name: str = "dob", column: str = "dob", alt: str | None = "birth_date_alt") -> Comparison:
    """A birth date: exact, day/month swapped, one day off, one digit typed wrong, the year one off,
    same year-month. The swap is seen in the dates themselves, and also through ``alt`` (the other
    reading of an ambiguous raw date)."""
    levels = [Level("exact", f"l.{column} = r.{column}", 0.85)]
    swapped = day_month_swapped(f"l.{column}", f"r.{column}")
    if alt:
        swapped = f"l.{column} = r.{alt} OR l.{alt} = r.{column} OR {swapped}"
    levels.append(Level("day_month_swap", swapped, 0.04))
    levels += [
        Level("one_day", f"abs(date_diff('day', l.{column}, r.{column})) <= 1", 0.03),
        Level(
            "one_digit",
            f"hamming(strftime(l.{column}, '%Y%m%d'), strftime(r.{column}, '%Y%m%d')) = 1",
            0.03,
        ),
        Level("one_year", one_year_apart(f"l.{column}", f"r.{column}"), 0.02),
        Level("same_month", f"date_trunc('month', l.{column}) = date_trunc('month', r.{column})", 0.02),
    ]
    return Comparison(name=name, null_condition=either_null(column), levels=tuple(levels), else_m=0.03)


def list_overlap(name: str, column: str, m: float = 0.6) -> Comparison:
    """Two lists (guardian ids, phones) share any element; empty lists are null."""
    return Comparison(
        name=name,
        null_condition=f"coalesce(len(l.{column}), 0) = 0 OR coalesce(len(r.{column}), 0) = 0",
        levels=(Level("overlap", f"list_has_any(l.{column}, r.{column})", m),),
        else_m=1 - m,
    )


def fuzzy_text(
    name: str, column: str, thresholds: tuple[float, ...] = (0.92, 0.8), m_exact: float = 0.8
) -> Comparison:
    """Free text or a Latin-script name: exact, then Jaro–Winkler at decreasing thresholds."""
    levels = [Level("exact", f"l.{column} = r.{column}", m_exact)]
    rest = (1 - m_exact) / (len(thresholds) + 1)
    for t in thresholds:
        levels.append(
            Level(f"jw{int(t * 100)}", f"jaro_winkler_similarity(l.{column}, r.{column}) >= {t}", rest)
        )
    return Comparison(name=name, null_condition=either_null(column), levels=tuple(levels), else_m=rest)


def code_with_typos(name: str, column: str, m_exact: float = 0.85, max_edits: int = 2) -> Comparison:
    """A code (certificate number, social-security number, postcode): exact, then 1..max edits."""
    levels = [Level("exact", f"l.{column} = r.{column}", m_exact)]
    rest = (1 - m_exact) / (max_edits + 1)
    for k in range(1, max_edits + 1):
        cond = f"levenshtein(l.{column}, r.{column}) <= {k}"
        if k == 1:
            cond = f"({cond} OR {transposition(column)})"
        levels.append(Level(f"edits{k}", cond, rest))
    return Comparison(name=name, null_condition=either_null(column), levels=tuple(levels), else_m=rest)


@dataclass(frozen=True)
class ComparisonSet:
    """The comparisons of a configuration, in order."""

    comparisons: tuple[Comparison, ...] = field(default_factory=tuple)

    def gamma_select(self) -> str:
        """The SELECT list of all gamma columns."""
        return ",\n       ".join(c.gamma_sql() for c in self.comparisons)
