-- Redistricting plans being worked on: who goes where, and how the units were chosen.
CREATE TABLE plans (
    id serial PRIMARY KEY,
    name text NOT NULL CHECK (name <> ''),
    spec jsonb NOT NULL,
    assignment jsonb NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now()
);
