"""Identity numbers, mobiles and the sensitive status never reach a log handler or the terminal in clear."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from taizhang import logmask

ID18 = "22010220150307001X"
ID15 = "220102150307001"
MOBILE = "13912345678"
DIGEST = "a3f1" + "1" * 18 + "b2"  # a hex digest with a long run of digits is not an identity number


def test_mask_text_masks_numbers_standing_alone_only():
    text = f"row {ID18}, old {ID15}, tel {MOBILE}, status 艾滋病病毒感染, key {DIGEST}, n=123456789012"
    masked = logmask.mask_text(text)
    for value in (ID18, ID15, MOBILE, "艾滋病病毒感染"):
        assert value not in masked
    assert DIGEST in masked and "n=123456789012" in masked
    assert masked.count(logmask.ID_MASK) == 2 and logmask.MOBILE_MASK in masked


def test_every_handler_of_the_root_and_prefect_loggers_writes_masked_records():
    logmask.install()
    streams = []
    for name in ("", "prefect", "some.library"):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)  # added after install: still masked
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        streams.append((logger, handler, stream))
    try:
        logging.getLogger("some.library").warning("bad row %s phone %s", ID18, MOBILE)
        logging.getLogger("prefect").info("status %s", "艾滋病病毒感染")
        try:
            raise ValueError(f"cannot parse {ID18}")
        except ValueError:
            logging.getLogger("").exception("reader failed")
    finally:
        for logger, handler, _ in streams:
            logger.removeHandler(handler)
    written = "".join(stream.getvalue() for _, _, stream in streams)
    assert "bad row" in written and "reader failed" in written and "ValueError" in written
    for value in (ID18, MOBILE, "艾滋病病毒感染"):
        assert value not in written


def test_a_record_made_elsewhere_is_masked_by_the_filter_on_a_handler():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "id %s", (ID18,), None)
    assert logmask.MaskPersonalData().filter(record)
    assert ID18 not in record.getMessage()


def test_an_uncaught_error_is_printed_masked():
    code = (
        "from taizhang import logmask; logmask.install(); "
        f"raise RuntimeError('row 3: {ID18} {MOBILE} 艾滋病病毒感染')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "RuntimeError" in done.stderr
    for value in (ID18, MOBILE, "艾滋病病毒感染"):
        assert value not in done.stderr
