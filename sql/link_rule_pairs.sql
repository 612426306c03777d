-- The number of distinct candidate pairs each rule found (its bit set), one column per rule.
SELECT {counts} FROM {candidates}
