-- The explanations of the comparison vectors as an ENUM: millions of pairs share a few thousand.
DROP TYPE IF EXISTS lk_explanation;
CREATE TYPE lk_explanation AS ENUM (SELECT DISTINCT explanation FROM {weights} ORDER BY 1);
