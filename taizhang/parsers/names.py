"""Personal names: clean text, simplified characters, pinyin keys, surname split, placeholders.

Departments type names with inner and full-width spaces, traditional
characters (``張偉``), any of eight middle-dot look-alikes in minority names,
pinyin letters in place of a rare character the system could not encode, and
newborn placeholders (``李娜之子``, ``张小宝``). The standardized name keeps the
person's characters (NFKC, no spaces, simplified, ``·``), and the keys derived
from it carry the comparisons:

* ``pinyin`` / ``initials``: toneless, no separators, with surname readings
  that default pinyin gets wrong fixed (单 shan, 曾 zeng, 解 xie, …). Pinyin is
  computed per distinct character (default reading), not per phrase, so a
  character always gives the same key wherever it sits in a name; ASCII letters
  inside a name are kept as a syllable of their own.
* ``variant_key``: the name with register look-alikes and variant surnames
  folded (候→侯, 粱→梁, 萧→肖, 阎→闫, 傅→付, …). It means "possibly the same
  person" and is for comparison only, never for display: 萧 and 肖 are also
  two legitimate surnames.
* ``placeholder``: a name that identifies nobody (empty, ``之子``/``之女``,
  ``小宝``/``宝宝``, ``婴儿``, ``某``, only unreadable marks). Matching must not
  trust it.

Python libraries (OpenCC, pypinyin) only ever see distinct values: the
traditional-looking names, and the distinct characters; everything else is
polars over whole columns.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import opencc
import polars as pl
from pypinyin import Style, lazy_pinyin

MIDDLE_DOTS = ("·", "•", ".", "・", "．", "‧", "∙", "･", "⋅", "‐")
# Ideographic space and zero-width marks survive NFKC differently; drop them all.
_SPACES = r"[\s\u200b\u200c\u200d\u2060\ufeff]"

# Compound surnames (复姓), most frequent first; a name needs 3+ characters
# before its first two are read as one of these.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "东方",
    "夏侯",
    "司徒",
    "令狐",
    "长孙",
    "宇文",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "轩辕",
    "呼延",
    "澹台",
    "公冶",
    "太史",
    "申屠",
    "闻人",
    "万俟",
    "钟离",
    "宗政",
    "濮阳",
    "淳于",
    "单于",
    "赫连",
    "百里",
    "东郭",
    "拓跋",
    "司空",
    "左丘",
    "梁丘",
    "亓官",
    "仲孙",
    "乐正",
    "巫马",
    "公良",
    "漆雕",
    "鲜于",
    "闾丘",
    "第五",
)

# Surname readings that pypinyin's default reading gets wrong (verified against
# pypinyin 0.55 in tests/transforms/test_names.py).
SURNAME_PINYIN: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "覃": "qin",
    "盖": "ge",
    "缪": "miao",
    "种": "chong",
    "繁": "po",
    "员": "yun",
    "祭": "zhai",
    "句": "gou",
    "阚": "kan",
    "秘": "bi",
    "粘": "nian",
    "折": "she",
    "召": "shao",
    "牟": "mu",
    "隗": "wei",
    "都": "du",
    "长": "chang",
    "长孙": "changsun",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "单于": "chanyu",
    "澹台": "tantai",
}

# Register look-alikes (形近) and variant surnames (异体/二简): "possibly the same person".
VARIANT_FOLDS: dict[str, str] = {
    "候": "侯",
    "粱": "梁",
    "萧": "肖",
    "阎": "闫",
    "傅": "付",
    "於": "于",
    "喆": "哲",
    "堃": "坤",
    "昇": "升",
    "邱": "丘",
    # Hand-written or scanned look-alikes where the mistaken form is a rare surname of its own.
    "越": "赵",
    "載": "戴",
    "载": "戴",
}

_PLACEHOLDER = (
    r"^$|之[子女儿孩]$|某+$"
    r"|^.{0,3}(小宝|宝宝|大宝|二宝|三宝|小宝宝|婴儿|男婴|女婴|新生儿|男孩|女孩|无名氏?|未取名|未起名|未命名|待定|不详)$"
    r"|^[?？□■�*\-_·]+$"
)

NAME_FIELDS = (
    "name",
    "pinyin",
    "initials",
    "surname",
    "given_name",
    "placeholder",
    "variant_key",
)


def clean_name(raw: pl.Expr) -> pl.Expr:
    """NFKC, no spaces of any width, every middle-dot look-alike as ``·`` (vectorised, no t2s)."""
    text = raw.str.normalize("NFKC").str.replace_all(_SPACES, "")
    text = text.str.replace_many(list(MIDDLE_DOTS), ["·"] * len(MIDDLE_DOTS))
    # A dot at either end is a typing slip, not a name separator.
    return text.str.strip_chars("·")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def traditional_chars() -> tuple[str, ...]:
    """Characters that OpenCC's t2s table changes (the trigger for converting a name)."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] != parts[1]:
            chars.append(parts[0])
    return tuple(sorted(chars))


def to_simplified(names: pl.Series) -> pl.Series:
    """Traditional → simplified for a series of (already cleaned) names.

    Only distinct names that contain a traditional character reach OpenCC;
    the rest pass through unchanged.
    """
    uniq = names.unique().drop_nulls()
    needs = uniq.filter(uniq.str.contains_any(list(traditional_chars())))
    if needs.len() == 0:
        return names
    conv = _converter()
    converted = pl.Series([conv.convert(n) for n in needs.to_list()], dtype=pl.Utf8)
    return names.replace(needs, converted)


def _split_surname(name: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(surname, given_name): compound surnames for names of 3+ characters; none for dotted or Latin names."""
    n = name.str.len_chars()
    han_start = name.str.contains(r"^\p{Han}")
    splittable = han_start & ~name.str.contains("·") & (n >= 2)
    compound = name.str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)) & (n >= 3)
    length = pl.when(compound).then(2).otherwise(1)
    surname = pl.when(splittable).then(name.str.slice(0, length))
    given = pl.when(splittable).then(name.str.slice(length)).otherwise(name)
    return surname, given


def _token_pinyin(tokens: pl.Series) -> dict[str, str]:
    """Pinyin of each distinct token: Han characters by pypinyin, ASCII runs lower-cased, the rest dropped."""
    out: dict[str, str] = {}
    for tok in tokens.to_list():
        if tok.isascii():
            out[tok] = tok.lower() if tok.isalpha() else ""
        else:
            out[tok] = "".join(lazy_pinyin(tok, style=Style.NORMAL, errors=lambda _: "")).lower()
            if not out[tok].isascii() or not out[tok].isalpha():
                out[tok] = ""
    return out


def _pinyin_exprs(text: pl.Expr, mapping: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(full pinyin, initials) of a text column from a token → pinyin table."""
    tokens = text.str.extract_all(r"[A-Za-z]+|.")
    py = tokens.list.eval(
        pl.element().replace_strict(mapping["token"], mapping["pinyin"], default="", return_dtype=pl.Utf8)
    )
    full = py.list.join("")
    initials = py.list.eval(pl.element().str.slice(0, 1)).list.join("")
    return full, initials


def standardize_names(raw: pl.Series) -> pl.DataFrame:
    """One row per distinct raw name: ``raw`` plus :data:`NAME_FIELDS`.

    Join it back on ``raw`` (nulls included) to attach the columns to a table.
    """
    uniq = pl.DataFrame({"raw": raw.unique().sort(nulls_last=True)}, schema={"raw": pl.Utf8})
    cleaned = uniq.select(clean_name(pl.col("raw")).alias("c"))["c"]
    simplified = to_simplified(cleaned)
    df = uniq.with_columns(name=simplified).with_columns(
        pl.when(pl.col("name").str.len_chars() > 0).then(pl.col("name")).alias("name")
    )
    surname, given = _split_surname(pl.col("name"))
    df = df.with_columns(surname.alias("surname"), given.alias("given_name"))

    tokens = (
        df.select(pl.col("name").str.extract_all(r"[A-Za-z]+|.").explode().drop_nulls().unique())
        .to_series()
        .sort()
    )
    table = _token_pinyin(tokens)
    mapping = pl.DataFrame(
        {"token": list(table), "pinyin": list(table.values())}, schema={"token": pl.Utf8, "pinyin": pl.Utf8}
    )
    sur_map = pl.DataFrame(
        {"s": list(SURNAME_PINYIN), "p": list(SURNAME_PINYIN.values())}, schema={"s": pl.Utf8, "p": pl.Utf8}
    )
    given_py, given_ini = _pinyin_exprs(pl.col("given_name"), mapping)
    sur_default, sur_default_ini = _pinyin_exprs(pl.col("surname"), mapping)
    sur_fixed = pl.col("surname").replace_strict(
        sur_map["s"], sur_map["p"], default=None, return_dtype=pl.Utf8
    )
    # Initials of an overridden surname: one letter per character of the surname.
    sur_fixed_ini = pl.when(pl.col("surname").str.len_chars() == 2).then(
        sur_fixed.str.slice(0, 1) + sur_default_ini.str.slice(1, 1)
    )
    sur_py = pl.coalesce(sur_fixed, sur_default).fill_null("")
    sur_ini = (
        pl.when(sur_fixed.is_not_null())
        .then(pl.coalesce(sur_fixed_ini, sur_fixed.str.slice(0, 1)))
        .otherwise(sur_default_ini)
    )
    df = df.with_columns(
        pl.when(pl.col("name").is_not_null()).then(sur_py + given_py.fill_null("")).alias("pinyin"),
        pl.when(pl.col("name").is_not_null())
        .then(sur_ini.fill_null("") + given_ini.fill_null(""))
        .alias("initials"),
    ).with_columns(
        pl.when(pl.col("pinyin").str.len_chars() > 0).then(pl.col("pinyin")).alias("pinyin"),
        pl.when(pl.col("initials").str.len_chars() > 0).then(pl.col("initials")).alias("initials"),
        pl.col("name").fill_null("").str.contains(_PLACEHOLDER).alias("placeholder"),
        pl.col("name")
        .str.replace_many(list(VARIANT_FOLDS), list(VARIANT_FOLDS.values()))
        .str.replace_all("·", "")
        .str.to_lowercase()
        .alias("variant_key"),
    )
    return df.select("raw", *NAME_FIELDS)


def with_name_columns(
    df: pl.DataFrame, raw_column: str, prefix: str = "name", fields: tuple[str, ...] = NAME_FIELDS
) -> pl.DataFrame:
    """Attach standardized name columns for ``raw_column``: ``{prefix}`` (the name), ``{prefix}_<field>``.

    ``fields`` picks which of :data:`NAME_FIELDS` to attach.
    """
    table = standardize_names(df[raw_column])
    renames = {f: (prefix if f == "name" else f"{prefix}_{f}") for f in fields}
    # A name split keeps the ARCHITECTURE column names (surname, given_name) for the child's own name.
    table = table.select(pl.col("raw").alias("__raw"), *[pl.col(f).alias(renames[f]) for f in fields])
    return df.join(table, left_on=raw_column, right_on="__raw", how="left", nulls_equal=True).drop(
        "__raw", strict=False
    )
