-- Every blocking rule's pairs as found, a rule's bit in rules (grouped into link_candidates).
CREATE OR REPLACE TEMP TABLE {out} (l BIGINT, r BIGINT, rules BIGINT)
