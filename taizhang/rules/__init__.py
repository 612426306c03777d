"""Policy rules of the decide stage, one module per rule.

``profile`` (one file per child), ``parents`` (father and mother as people),
``parent_status`` (statuses in force at the as-of date), ``orphan``,
``unsupported`` (with the Jilin 参照孤儿保障 group), ``migrant``,
``care_level``, ``urgent``, ``service_gaps``; ``decide`` assembles them.
"""

from taizhang.rules.decide import Decisions, decide

__all__ = ["Decisions", "decide"]
