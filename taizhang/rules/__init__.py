"""The decide stage: the facts of each child, the policy rules (one module per rule), the tables.

Facts (``facts`` over ``profile``, ``parents``, ``parent_status``, ``visits``); rules
(``migrant``, ``candidates``, ``orphan``, ``unsupported``, ``refer_orphan``, ``care_level``,
``urgent``, ``service_gaps``, ``renamed_or_twin``); ``assemble`` builds the tables; ``decide``
runs the three steps.
"""

from taizhang.rules.decide import Decisions, decide

__all__ = ["Decisions", "decide"]
