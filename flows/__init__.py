"""Prefect flows. Importing them (as a Prefect worker does) masks personal values in every log record."""

from taizhang import logmask

logmask.install()
