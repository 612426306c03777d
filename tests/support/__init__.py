"""Shared test support: identity-number builders, linkage families, the rules' world builder.

Imported as ``tests.support.<module>``; no test puts anything on ``sys.path``.
"""
