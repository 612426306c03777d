"""The record-linkage engine: blocking, comparisons, Fellegi–Sunter with EM, clustering, stable ids.

Entry point: :func:`matchers.engine.link` with a :class:`matchers.engine.LinkageConfig`
(see ``matchers/configs/`` for the child, parent and FEBRL configurations).
"""
