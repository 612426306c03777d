-- Every record's anchors (hashed), filled one anchor type at a time (link_anchor_keys, link_fallback_anchors).
CREATE OR REPLACE TEMP TABLE {out} (record_id BIGINT, anchor_type VARCHAR, anchor_key VARCHAR, weight DOUBLE)
