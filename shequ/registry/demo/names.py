"""Chinese names and phone numbers for the demo, weighted for Jilin (north-east China)."""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate
from random import Random

# Surnames with rough weights (per mille of the population). National order, with the
# north-east's larger shares of 于 孙 赵 姜 崔 曲 and the Manchu 关 佟 and Korean 金 朴.
# fmt: off
_SURNAMES = {
    "王": 72, "李": 74, "张": 68, "刘": 56, "陈": 20, "杨": 28, "赵": 30, "黄": 8, "周": 11,
    "吴": 11, "徐": 12, "孙": 22, "马": 13, "朱": 10, "胡": 10, "郭": 11, "何": 6, "林": 7,
    "高": 13, "罗": 5, "郑": 7, "梁": 6, "谢": 5, "宋": 9, "唐": 5, "许": 5, "韩": 9, "冯": 6,
    "邓": 3, "曹": 6, "彭": 3, "曾": 2, "肖": 3, "田": 6, "董": 7, "袁": 4, "潘": 4, "于": 14,
    "蒋": 4, "蔡": 3, "余": 2, "杜": 5, "叶": 3, "程": 4, "苏": 4, "魏": 5, "吕": 5, "丁": 4,
    "任": 5, "沈": 3, "姚": 3, "卢": 4, "姜": 10, "崔": 8, "钟": 2, "谭": 2, "陆": 2, "汪": 2,
    "范": 4, "金": 5, "石": 4, "贾": 4, "付": 5, "方": 2, "白": 4, "邹": 3, "孟": 5, "秦": 3,
    "邱": 2, "侯": 4, "曲": 4, "隋": 1, "尹": 3, "薛": 3, "闫": 4, "段": 2, "雷": 2, "史": 3,
    "陶": 2, "贺": 2, "毛": 2, "郝": 3, "邵": 2, "武": 3, "孔": 2, "关": 3, "佟": 1, "朴": 1,
    "康": 2, "常": 2, "牛": 2, "齐": 2, "安": 2, "葛": 2, "邢": 2, "单": 1, "庞": 1, "臧": 1,
}

# Given names by birth cohort: what a 1940s 秀兰 and a 2015 梓涵 are called.
_GIVEN = {
    ("F", 1950): "秀兰 桂兰 玉兰 淑兰 凤兰 秀英 桂英 玉英 凤英 淑珍 玉珍 秀珍 桂珍 素珍 淑贤 "
                 "淑芬 桂芝 秀芝 玉芝 凤琴 玉琴 桂琴 翠兰 淑琴 秀云 桂荣 玉荣 凤芝 素芳 兰英",
    ("M", 1950): "德福 德贵 宝山 玉山 振山 长山 树林 玉林 凤林 永贵 永祥 福林 金山 德胜 德才 "
                 "文祥 广林 殿臣 万福 长海 振海 志和 国栋 玉福 有才 殿元 福 贵 喜 成",
    ("F", 1965): "秀梅 玉梅 桂梅 淑梅 丽华 凤霞 秀华 桂香 玉霞 淑云 素梅 秀芹 凤云 亚琴 淑华 "
                 "美兰 凤芹 桂云 秀荣 淑艳 丽 红 英 华 梅 霞 玉华 桂华 秀云 金凤",
    ("M", 1965): "建国 国庆 建华 建军 国华 振华 卫国 跃进 援朝 志刚 志强 长青 立军 红军 卫东 "
                 "福生 继红 国强 国良 建民 连生 庆林 胜利 海 军 明 林 德明 宝华 玉成",
    ("F", 1980): "艳 丽 红 梅 英 霞 萍 玲 丽华 艳华 红梅 春梅 秀丽 艳玲 丽娟 晓红 丽萍 春燕 "
                 "桂芳 艳红 淑娟 海燕 雪梅 冬梅 晓梅 丽丽 凤 敏 静 丽艳",
    ("M", 1980): "伟 军 勇 强 刚 峰 斌 明 辉 平 建 东 波 涛 立新 志勇 海波 春雷 宏伟 晓东 "
                 "建伟 铁军 国锋 永胜 长江 文斌 成刚 振宇 铁柱 金龙",
    ("F", 1995): "丹 婷 娜 丽娜 晓丽 雪 静 佳 倩 慧 莹 欢 颖 琳 洋 爽 楠 微 美玲 晓燕 文静 "
                 "雪莹 佳琪 丹丹 婷婷 娜娜 蕾 晶晶 思思 月",
    ("M", 1995): "磊 鹏 超 浩 杰 亮 宇 博 鑫 帅 涛 阳 龙 飞 冬 健 威 旭 晨 鹏飞 志鹏 海龙 "
                 "宏宇 俊杰 大伟 晓峰 东旭 振东 天宇 明明",
    ("F", 2010): "雨 欣 怡 佳怡 欣怡 雨欣 思雨 梦瑶 诗琪 雪婷 欣然 心怡 嘉欣 思琪 雨婷 梓萱 "
                 "婉婷 晓彤 佳慧 馨月 雨晴 紫琪 若彤 佳宁 一涵 诗雨 雅琪 梦琪 语桐 新悦",
    ("M", 2010): "浩然 宇航 子豪 浩宇 博文 天宇 子健 晨阳 一帆 家豪 振宇 思远 明轩 宇轩 嘉豪 "
                 "文博 梓豪 雨泽 昊天 泽宇 志远 鹏程 俊宇 博 浩 鑫 子恒 佳乐 航 铭",
    ("F", 9999): "梓涵 一诺 欣怡 雨桐 诗涵 可馨 语嫣 梓萱 若曦 子涵 紫萱 依诺 艺涵 思彤 芷若 "
                 "安琪 梦琪 欣妍 悦 沐晴 书瑶 雨萱 可欣 佳怡 诗雅 梓琪 一然 语汐 晨曦 若溪",
    ("M", 9999): "子轩 浩宇 宇航 梓轩 俊熙 皓轩 一鸣 博文 沐阳 宇泽 梓睿 浩然 子墨 奕辰 铭泽 "
                 "宸 锦程 思远 嘉懿 逸飞 梓豪 宇辰 睿泽 明哲 承泽 俊宇 浩轩 天佑 子谦 煜",
}

# Mobile prefixes of the three carriers (13x–19x); Liaoyuan's area code is 0437.
_MOBILE_PREFIXES = [str(n) for n in (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157,
    158, 159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
    191, 193, 195, 198, 199,
)]
# fmt: on

_SURNAME_LIST = list(_SURNAMES)
_SURNAME_CUM = list(accumulate(_SURNAMES.values()))
_GIVEN_LISTS = {key: value.split() for key, value in _GIVEN.items()}
_COHORTS = sorted({year for _, year in _GIVEN})


def surname(rng: Random) -> str:
    return _SURNAME_LIST[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def given_name(rng: Random, sex: str, birth_year: int) -> str:
    cohort = next(year for year in _COHORTS if birth_year < year)
    return rng.choice(_GIVEN_LISTS[(sex, cohort)])


def full_name(rng: Random, sex: str, birth_year: int, family: str | None = None) -> str:
    return (family or surname(rng)) + given_name(rng, sex, birth_year)


def mobile(rng: Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: Random) -> str:
    """A Liaoyuan fixed line, as the elderly still give it: 0437-3xxxxxx."""
    return f"0437-{rng.choice('356')}{rng.randrange(10**6):06d}"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (grid names: 第十二网格)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")
