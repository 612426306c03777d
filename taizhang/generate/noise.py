"""Messiness of real extracts, applied column-wise with seeded masks.

Every function takes clean values and returns the text a department would send:
ids with full-width digits or Excel float damage, dates in any listed format,
names with traditional characters or typos, and so on (see
``docs/extracts.md``). Rates are per row and scale with the
``noise`` level (``default`` = 1, ``heavy`` = 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from taizhang.generate import geo as geo_mod
from taizhang.generate import names as nm

FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789X"}
DATE_FORMATS = ("iso", "slash", "compact", "dotted", "chinese", "serial")
SEX_FORMS = (("男", "女"), ("1", "2"), ("M", "F"))
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Noise:
    """Rate multipliers: ``scale`` of value noise (1 ``default``, 3 ``heavy``) and ``marks`` of the
    arrival marks (junk rows, annotated headers, titles, extra sheets; ``marks.py``), 0 for none."""

    scale: float
    marks: float = 0.0

    @classmethod
    def parse(cls, level: str, marks: bool | None = None) -> Noise:
        """``level`` is ``default``, ``heavy`` or ``none``; ``marks`` False turns the arrival marks
        off (None: on at the level's rate, which is 0 for ``none``)."""
        levels = {"default": 1.0, "heavy": 3.0, "none": 0.0}
        if level not in levels:
            raise ValueError(f"noise must be one of {sorted(levels)}")
        scale = levels[level]
        return cls(scale, scale if marks is not False else 0.0)

    def p(self, base: float) -> float:
        return min(base * self.scale, 0.6)


def _kinds(rng: np.random.Generator, n: int, rates: dict[str, float]) -> pl.Series:
    """One kind per row ('' = untouched), drawn with the given rates."""
    names = ["", *rates]
    probs = np.array([max(0.0, 1 - sum(rates.values())), *rates.values()])
    return pl.Series(np.asarray(names)[rng.choice(len(names), n, p=probs / probs.sum())])


# damage after which the true number cannot be read back from the cell
LOSSY_ID_KINDS = ("missing", "typo", "excel_e", "excel_dot0")


def mangle_ids(
    ids: pl.Series,
    rng: np.random.Generator,
    noise: Noise,
    *,
    missing: float = 0.04,
    lossy: float = 0.018,
    keep_digits: pl.Series | None = None,
) -> pl.Series:
    """Identity numbers as departments send them (README 'Identity numbers').

    Rows where ``keep_digits`` is true only get damage that keeps every digit
    (full-width, inner spaces, apostrophe, lower-case x): they are the copies a
    parent's identification rests on, so they must stay readable.
    """
    n = ids.len()
    k = _kinds(
        rng,
        n,
        {
            "missing": noise.p(missing),
            "typo": noise.p(0.01),
            "excel_e": noise.p(lossy * 2 / 3),
            "excel_dot0": noise.p(lossy / 3),
            "fullwidth": noise.p(0.01),
            "spaces": noise.p(0.01),
            "apostrophe": noise.p(0.01),
        },
    )
    if keep_digits is not None:
        k = (
            pl.DataFrame({"k": k, "c": keep_digits.fill_null(False)})
            .select(pl.when(pl.col("c") & pl.col("k").is_in(LOSSY_ID_KINDS)).then(pl.lit("")).otherwise("k"))
            .to_series()
        )
    lower_x = pl.Series(rng.random(n) < noise.p(0.3))
    v = pl.col("v")
    digits = v.str.contains(r"^\d+$")
    is18 = v.str.len_chars() == 18
    last = v.str.slice(-1)
    typo = pl.concat_str(
        [v.str.slice(0, v.str.len_chars() - 1), pl.when(last == "7").then(pl.lit("4")).otherwise(pl.lit("7"))]
    )
    e17 = pl.concat_str([v.str.slice(0, 1), pl.lit("."), v.str.slice(1, 14), pl.lit("E+17")])
    dot0 = (
        pl.when(is18)
        .then(pl.concat_str([v.str.slice(0, 15), pl.lit("000.0")]))
        .otherwise(pl.concat_str([v, pl.lit(".0")]))
    )
    spaced = pl.concat_str([v.str.slice(0, 6), pl.lit(" "), v.str.slice(6, 8), pl.lit(" "), v.str.slice(14)])
    out = (
        pl.DataFrame({"v": ids.cast(pl.Utf8), "k": k, "lx": lower_x})
        .select(
            pl.when(pl.col("k") == "missing")
            .then(pl.lit(None, dtype=pl.Utf8))
            .when(pl.col("k") == "typo")
            .then(typo)
            .when((pl.col("k") == "excel_e") & digits & is18)
            .then(e17)
            .when((pl.col("k") == "excel_dot0") & digits)
            .then(dot0)
            .when(pl.col("k") == "fullwidth")
            .then(v.str.replace_many(FULLWIDTH))
            .when(pl.col("k") == "spaces")
            .then(spaced)
            .when(pl.col("k") == "apostrophe")
            .then(pl.concat_str([pl.lit("'"), v]))
            .otherwise(v)
            .alias("v"),
            "lx",
        )
        .select(pl.when(pl.col("lx")).then(pl.col("v").str.replace("X", "x")).otherwise("v"))
    )
    return out.to_series()


def mangle_names(
    names: pl.Series, rng: np.random.Generator, noise: Noise, alt_name: pl.Series | None = None
) -> pl.Series:
    """Names with spaces, traditional forms, homophone/look-alike typos, pinyin, dot variants.

    ``alt_name`` is each child's other full name (same surname, another given name): a few rows
    carry it instead, as a department that still has the name before a renaming.
    """
    n = names.len()
    rates = {
        "space": noise.p(0.015),
        "wide_space": noise.p(0.008),
        "traditional": noise.p(0.02),
        "homophone": noise.p(0.015),
        "lookalike": noise.p(0.03),
    }
    if alt_name is not None:
        rates["changed"] = noise.p(0.01)
    k = _kinds(rng, n, rates)
    pinyin = pl.Series(rng.random(n) < 0.35)
    dots = pl.Series(np.asarray(nm.MIDDLE_DOTS)[rng.integers(0, len(nm.MIDDLE_DOTS), n)])
    v = pl.col("v")
    sl = nm.surname_length(v)
    sur, given = v.str.slice(0, sl), v.str.slice(sl)
    frame = pl.DataFrame(
        {
            "v": names.cast(pl.Utf8),
            "k": k,
            "py": pinyin,
            "dot": dots,
            "alt": alt_name if alt_name is not None else names,
        }
    )
    dotted = v.str.contains("·", literal=True)
    out = frame.select(
        pl.when(dotted)
        .then(v.str.replace("·", pl.col("dot"), literal=True))
        .when(pl.col("k") == "space")
        .then(pl.concat_str([sur, pl.lit(" "), given]))
        .when(pl.col("k") == "wide_space")
        .then(pl.concat_str([sur, pl.lit("\u3000"), given]))
        .when(pl.col("k") == "traditional")
        .then(v.str.replace_many(nm.TRADITIONAL))
        .when(pl.col("k") == "homophone")
        .then(pl.concat_str([sur, given.str.replace_many(nm.HOMOPHONES)]))
        .when(pl.col("k") == "lookalike")
        .then(pl.concat_str([sur.str.replace_many(nm.LOOKALIKES), given]))
        .when(pl.col("k") == "changed")
        .then(pl.col("alt"))
        .otherwise(v)
        .alias("v"),
        "py",
    ).select(pl.when(pl.col("py")).then(pl.col("v").str.replace_many(nm.RARE_PINYIN)).otherwise("v"))
    return out.to_series()


def format_dates(
    dates: pl.Series, rng: np.random.Generator, noise: Noise, file_format: str, *, missing: float = 0.02
) -> pl.Series:
    """Dates in the file's usual format, some rows in another listed format, a few empty."""
    n = dates.len()
    fmt = np.full(n, file_format, dtype=object)
    other = rng.random(n) < noise.p(0.05)
    fmt[other] = np.asarray(DATE_FORMATS, dtype=object)[rng.integers(0, len(DATE_FORMATS), int(other.sum()))]
    drop = pl.Series(rng.random(n) < noise.p(missing))
    d = pl.col("d")
    y, m, dd = d.dt.year().cast(pl.Utf8), d.dt.month().cast(pl.Utf8), d.dt.day().cast(pl.Utf8)
    f = pl.col("f")
    out = pl.DataFrame({"d": dates.cast(pl.Date), "f": pl.Series(fmt, dtype=pl.Utf8), "x": drop}).select(
        pl.when(pl.col("x"))
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(f == "slash")
        .then(pl.concat_str([y, m, dd], separator="/"))
        .when(f == "compact")
        .then(d.dt.strftime("%Y%m%d"))
        .when(f == "dotted")
        .then(d.dt.strftime("%Y.%m.%d"))
        .when(f == "chinese")
        .then(pl.concat_str([y, pl.lit("年"), m, pl.lit("月"), dd, pl.lit("日")]))
        .when(f == "serial")
        .then((d.cast(pl.Int32) - (EXCEL_EPOCH - date(1970, 1, 1)).days).cast(pl.Utf8))
        .otherwise(d.dt.strftime("%Y-%m-%d"))
    )
    return out.to_series()


def format_months(dates: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Enrolment months as ``2021-09`` or ``202109``."""
    compact = pl.Series(rng.random(dates.len()) < 0.3)
    return (
        pl.DataFrame({"d": dates, "c": compact})
        .select(
            pl.when("c").then(pl.col("d").dt.strftime("%Y%m")).otherwise(pl.col("d").dt.strftime("%Y-%m"))
        )
        .to_series()
    )


def format_sexes(sexes: pl.Series, rng: np.random.Generator, noise: Noise, form: int) -> pl.Series:
    """男/女 as the file writes it (男女, 12 or MF), some rows in another form, some empty."""
    n = sexes.len()
    f = np.where(rng.random(n) < noise.p(0.03), rng.integers(0, 3, n), form)
    drop = rng.random(n) < noise.p(0.02)
    male = pl.col("s") == "男"
    exprs = pl.lit(None, dtype=pl.Utf8)
    for i, (a, b) in enumerate(SEX_FORMS):
        exprs = (
            pl.when(pl.col("f") == i)
            .then(pl.when(male).then(pl.lit(a)).otherwise(pl.lit(b)))
            .otherwise(exprs)
        )
    return (
        pl.DataFrame({"s": sexes, "f": f, "x": drop})
        .select(
            pl.when(pl.col("x") | pl.col("s").is_null()).then(pl.lit(None, dtype=pl.Utf8)).otherwise(exprs)
        )
        .to_series()
    )


def format_divisions(codes: pl.Series, rng: np.random.Generator, noise: Noise) -> pl.Series:
    """6-digit codes, sometimes 9/12 digits or a name (南关区, 长春市南关区, 吉林省长春市南关区)."""
    n = codes.len()
    t = geo_mod.geo().table
    k = _kinds(
        rng,
        n,
        {
            "d9": noise.p(0.02),
            "d12": noise.p(0.02),
            "short": noise.p(0.02),
            "city": noise.p(0.015),
            "full": noise.p(0.015),
        },
    )
    c = pl.col("c")
    name = c.replace_strict(t["code"], t["name"], default=None)
    city = c.replace_strict(t["code"], t["prefecture_name"], default=None)
    prov = c.replace_strict(t["code"], t["province"], default=None)
    kk = pl.col("k")
    return (
        pl.DataFrame({"c": codes, "k": k})
        .select(
            pl.when(kk == "d9")
            .then(pl.concat_str([c, pl.lit("001")]))
            .when(kk == "d12")
            .then(pl.concat_str([c, pl.lit("001002")]))
            .when(kk == "short")
            .then(name)
            .when(kk == "city")
            .then(pl.concat_str([city, name]))
            .when(kk == "full")
            .then(pl.concat_str([prov, city, name]))
            .otherwise(c)
        )
        .to_series()
    )


def format_phones(phones: pl.Series, rng: np.random.Generator, noise: Noise) -> pl.Series:
    """11-digit mobiles, with or without +86, spaces or dashes."""
    k = _kinds(
        rng,
        phones.len(),
        {"plus": noise.p(0.05), "dash": noise.p(0.05), "space": noise.p(0.05), "plain86": noise.p(0.02)},
    )
    p = pl.col("p")
    a, b, c = p.str.slice(0, 3), p.str.slice(3, 4), p.str.slice(7, 4)
    kk = pl.col("k")
    return (
        pl.DataFrame({"p": phones, "k": k})
        .select(
            pl.when(kk == "plus")
            .then(pl.concat_str([pl.lit("+86 "), a, pl.lit("-"), b, pl.lit("-"), c]))
            .when(kk == "dash")
            .then(pl.concat_str([a, b, c], separator="-"))
            .when(kk == "space")
            .then(pl.concat_str([a, b, c], separator=" "))
            .when(kk == "plain86")
            .then(pl.concat_str([pl.lit("+86"), p]))
            .otherwise(p)
        )
        .to_series()
    )
