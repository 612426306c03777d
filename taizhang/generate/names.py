"""Name pools and name building for synthetic people.

Surname shares follow docs/policy.md §5.1 (NCIIC top-100, share in %). Given names
have two styles:

* ``pooled`` (the default): a deliberately SMALL pool, so that many children share a
  name and a birth year (many 张子涵 born 2018): that is what makes name-only
  linkage ambiguous, and the linkage tests and benchmarks are scored on it. Two
  children share a full name about once in 500 pairs, far more often than in a
  real province, so namesakes born on one day grow with the square of the children.
* ``varied``: given names of one or two characters, each drawn from a list of about
  a hundred common name characters: two children share a full name about once in
  45,000 pairs (the commonest full name is one child in 1,700), namesakes some ninety
  times rarer than the pools give, nearer a province's. It measures how the time of a
  province-sized run grows when the namesakes are not the generator's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

_TOP100 = (
    "王7.49 李7.37 张7.03 刘5.31 陈4.55 杨3.37 黄2.35 赵2.11 吴2.00 周1.96 "
    "徐1.50 孙1.46 朱1.32 马1.31 胡1.20 郭1.15 何1.07 高1.04 罗0.99 林0.98 "
    "郑0.91 梁0.84 谢0.75 宋0.73 唐0.71 韩0.64 许0.64 冯0.63 邓0.62 曹0.62 "
    "彭0.59 曾0.57 肖0.55 田0.54 董0.53 袁0.52 于0.51 潘0.51 蒋0.49 杜0.49 "
    "蔡0.49 余0.48 程0.47 魏0.46 叶0.46 吕0.45 丁0.45 苏0.45 任0.43 沈0.42 "
    "姚0.42 姜0.41 卢0.41 崔0.40 钟0.39 谭0.38 汪0.38 范0.38 陆0.37 金0.37 "
    "石0.35 廖0.35 贾0.35 夏0.33 付0.33 方0.32 韦0.31 邹0.31 白0.30 熊0.30 "
    "孟0.30 秦0.30 邱0.28 尹0.27 江0.27 薛0.27 闫0.26 侯0.26 段0.25 雷0.25 "
    "史0.22 龙0.22 陶0.22 顾0.22 贺0.21 黎0.21 郝0.21 毛0.21 邵0.21 龚0.21 "
    "万0.20 钱0.19 武0.19 严0.19 戴0.19 孔0.18 向0.18 覃0.18 常0.17 汤0.17"
)
SURNAMES: tuple[str, ...] = tuple(tok[0] for tok in _TOP100.split())
SURNAME_SHARES: tuple[float, ...] = tuple(float(tok[1:]) for tok in _TOP100.split())
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
KOREAN_SURNAMES = ("金", "崔", "朴", "李", "郑", "全")

# small pools: shared by many children
BOY_NAMES = [
    "子涵",
    "浩然",
    "宇轩",
    "梓轩",
    "俊熙",
    "一诺",
    "子墨",
    "浩宇",
    "博文",
    "思远",
    "天佑",
    "子豪",
    "俊杰",
    "皓轩",
    "铭泽",
    "梓睿",
    "宇航",
    "晨阳",
    "睿",
    "轩",
    "杰",
    "宇",
    "浩",
    "晨",
    "明",
    "伟",
    "博",
    "喆",
    "堃",
]
GIRL_NAMES = [
    "子涵",
    "欣怡",
    "梓涵",
    "一诺",
    "诗涵",
    "雨桐",
    "可馨",
    "紫萱",
    "梓萱",
    "思彤",
    "佳怡",
    "婉清",
    "若汐",
    "语嫣",
    "欣妍",
    "雨萱",
    "梦瑶",
    "悦",
    "涵",
    "欣",
    "怡",
    "萱",
    "琪",
    "雅",
    "婷",
    "玥",
    "珺",
]
MAN_NAMES = [
    "伟",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "杰",
    "涛",
    "明",
    "超",
    "刚",
    "平",
    "辉",
    "鹏",
    "建华",
    "志强",
    "建国",
    "海涛",
    "国庆",
    "永刚",
    "春雷",
    "宏伟",
    "德明",
    "立新",
]
WOMAN_NAMES = [
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "艳",
    "娟",
    "霞",
    "燕",
    "玲",
    "秀英",
    "桂英",
    "海燕",
    "玉兰",
    "丽娟",
    "春梅",
    "晓红",
    "淑华",
    "美玲",
    "秀兰",
]
# ethnic-minority names written with a middle dot (given·father's given)
DOTTED_MALE = ["买买提", "艾力", "阿不都", "吐尔逊", "努尔兰", "巴特尔"]
DOTTED_FEMALE = ["阿依古丽", "古丽娜尔", "热依汗", "帕提古丽", "努尔古丽", "其其格"]

# characters that systems without a large font replace by pinyin
RARE_PINYIN = {"喆": "zhe", "堃": "kun", "玥": "yue", "珺": "jun", "昇": "sheng"}
TRADITIONAL = dict(
    zip(
        "张伟陈刘赵杨黄吴孙马郑冯邓许韩轩诗铭泽杰诺乐丽华国军强红兰艳东龙晓云飞涛刚辉鹏庆梦语悦欣",
        "張偉陳劉趙楊黃吳孫馬鄭馮鄧許韓軒詩銘澤傑諾樂麗華國軍強紅蘭艷東龍曉雲飛濤剛輝鵬慶夢語悅欣",
        strict=True,
    )
)
# same pronunciation, different character (given-name typos)
HOMOPHONES = {
    "子": "紫",
    "涵": "含",
    "伟": "玮",
    "轩": "萱",
    "浩": "皓",
    "欣": "馨",
    "怡": "仪",
    "宇": "雨",
    "晨": "辰",
    "琪": "淇",
    "婷": "亭",
    "佳": "家",
    "思": "斯",
    "博": "柏",
    "杰": "洁",
}
# look-alike characters (surname typos seen inside the register itself)
LOOKALIKES = {"侯": "候", "梁": "粱", "闫": "阎", "肖": "萧", "戴": "載", "赵": "越"}
MIDDLE_DOTS = ("·", "•", ".", "・", "．")


def draw_surnames(rng: np.random.Generator, n: int, korean: np.ndarray) -> np.ndarray:
    """Surnames by national frequency; Korean surnames where ``korean`` is set; compounds rarely."""
    p = np.asarray(SURNAME_SHARES) / sum(SURNAME_SHARES)
    out = np.asarray(SURNAMES, dtype=object)[rng.choice(len(SURNAMES), n, p=p)]
    comp = rng.random(n) < 0.002
    out[comp] = np.asarray(COMPOUND_SURNAMES, dtype=object)[rng.integers(0, 4, comp.sum())]
    out[korean] = np.asarray(KOREAN_SURNAMES, dtype=object)[
        rng.integers(0, len(KOREAN_SURNAMES), korean.sum())
    ]
    return out


def _zipf(n: int) -> np.ndarray:
    """Zipf-like weights of ``n`` items in order: a few dominate, as names do in birth cohorts."""
    w = 1.0 / np.arange(1, n + 1) ** 0.8
    return w / w.sum()


def _by_sex(
    male: np.ndarray, men: Callable[[int], np.ndarray], women: Callable[[int], np.ndarray]
) -> np.ndarray:
    """One value per person: ``men(k)`` for the ``k`` men, then ``women(k)`` for the women."""
    out = np.empty(len(male), dtype=object)
    out[male] = men(int(male.sum()))
    out[~male] = women(int((~male).sum()))
    return out


def draw_given(rng: np.random.Generator, male: np.ndarray, boys: list[str], girls: list[str]) -> np.ndarray:
    """Given names from the small pools, by sex; pool order makes the first names commonest."""

    def pick(pool: list[str], k: int) -> np.ndarray:
        return np.asarray(pool, dtype=object)[rng.choice(len(pool), k, p=_zipf(len(pool)))]

    return _by_sex(male, lambda k: pick(boys, k), lambda k: pick(girls, k))


NameStyle = Literal["pooled", "varied"]
NAME_STYLES: tuple[NameStyle, ...] = ("pooled", "varied")


def _chars(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(text.split()))


# Characters of given names for the ``varied`` style, commonest first (the characters the typo
# tables above know come early, so homophones, look-alikes, traditional forms and pinyin still
# occur). Children's names and their parents' belong to different generations of fashion.
BOY_CHARS = _chars(
    "子 浩 宇 轩 梓 俊 一 博 文 思 天 佑 豪 杰 皓 铭 泽 睿 航 晨 阳 诺 墨 熙 然 远 辰 逸 奕 嘉"
    " 瑞 昊 凯 翔 鑫 磊 鹏 涛 明 伟 喆 堃 昇 恒 锦 川 森 林 峰 宁 安 乐 晟 彦 程 泓 澄 煜 烨 炎"
    " 琛 瑾 玮 柏 松 哲 沐 霖 承 泰 宸 骏 弘 毅 峻 楷 朗 钧 锐 成 诚 信 义 仁 智 勇 刚 强 军 华"
    " 东 龙 飞 云 志 建 永 德 立 新 海 春 雷 宏 国 庆 兴 旭 晖 光"
)
GIRL_CHARS = _chars(
    "涵 欣 怡 诗 梦 语 悦 婷 琪 佳 雨 萱 可 馨 雅 静 妍 彤 菲 蕾 瑶 颖 楠 琳 璐 露 曦 月 心 若"
    " 依 伊 芸 芷 萌 梓 一 子 思 晓 乐 沐 诺 嘉 欢 淇 玥 珺 瑾 璇 婉 娴 雯 雪 霏 霞 燕 玲 丽 娜"
    " 芳 敏 艳 玉 兰 梅 红 秀 英 美 慧 惠 珊 倩 茜 晴 清 蓉 薇 岚 凤 云 舒 宁 安 甜 希 珍 桐 柳"
    " 苗 莹 晶 爽"
)
MAN_CHARS = _chars(
    "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 斌 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 峰"
    " 建 国 志 永 德 立 新 海 春 雷 宏 庆 东 亮 成 兵 宝 文 彬 博 胜 坤 喜 忠 祥 福 生 荣 利 民"
    " 富 贵 友 双 金 山 长 岩 松 柏 江 河 洪 振 兴 家 玉 亚 学 晓 红 卫 光 晨 阳"
)
WOMAN_CHARS = _chars(
    "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 秀 英 桂 兰 梅 红 晓 淑 华 美 玉 春 海 丹 萍 洁 琳 颖 倩 婷"
    " 雪 慧 莉 琴 云 凤 莹 婧 艺 佳 欣 悦 梦 雯 薇 蓉 玥 珊 宁 爽 杰 楠 琪 月 平 荣 新 青 彩 翠"
    " 菊 香 芬 素 利 菲 璐 露"
)
# Share of one-character given names in the ``varied`` style.
_SINGLE = 0.1


def _composed(rng: np.random.Generator, chars: tuple[str, ...], k: int) -> np.ndarray:
    """``k`` given names of one or two characters, each drawn by the characters' commonness."""
    table = np.asarray(chars, dtype=object)
    p = _zipf(len(chars))
    first = table[rng.choice(len(chars), k, p=p)]
    second = table[rng.choice(len(chars), k, p=p)]
    return np.where(rng.random(k) < _SINGLE, second, first + second)


@dataclass(frozen=True)
class GivenNames:
    """Given-name draws in one style.

    The pooled draw is made from the caller's generator whatever the style, so everything else
    (births, families, records, noise) is drawn the same in both: the varied names come from a
    generator of their own and replace the pooled ones, and two runs of one seed differ in names only.
    """

    style: NameStyle
    own: np.random.Generator

    @classmethod
    def of(cls, style: NameStyle, seed: int, stream: int) -> GivenNames:
        if style not in NAME_STYLES:
            raise ValueError(f"unknown name style {style!r} (one of {', '.join(NAME_STYLES)})")
        return cls(style, np.random.default_rng([seed, stream, 7]))

    def child(self, rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
        """Children's given names, by sex."""
        pooled = draw_given(rng, male, BOY_NAMES, GIRL_NAMES)
        return pooled if self.style == "pooled" else self._varied(male, BOY_CHARS, GIRL_CHARS)

    def adult(self, rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
        """Adults' given names (parents, grandparents, people in status reports), by sex."""
        pooled = draw_given(rng, male, MAN_NAMES, WOMAN_NAMES)
        return pooled if self.style == "pooled" else self._varied(male, MAN_CHARS, WOMAN_CHARS)

    def _varied(self, male: np.ndarray, men: tuple[str, ...], women: tuple[str, ...]) -> np.ndarray:
        return _by_sex(male, lambda k: _composed(self.own, men, k), lambda k: _composed(self.own, women, k))


def surname_length(name: pl.Expr) -> pl.Expr:
    """1, or 2 for a compound surname."""
    cond = pl.lit(False)
    for s in COMPOUND_SURNAMES:
        cond = cond | name.str.starts_with(s)
    return pl.when(cond).then(2).otherwise(1)


def sound(names: pl.Series) -> pl.Series:
    """Toneless pinyin of each name (梓涵 and 子涵 both ``zihan``): parents do not give twins one sound."""
    from pypinyin import lazy_pinyin

    distinct = names.drop_nulls().unique().to_list()
    mapping = {n: "".join(lazy_pinyin(n)) for n in distinct}
    return names.replace_strict(mapping, default=None, return_dtype=pl.Utf8)
